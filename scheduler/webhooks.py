"""Webhook delivery: POST each outbox event signed per the Standard Webhooks scheme."""

from __future__ import annotations

import base64
import email.utils
import hashlib
import hmac
import http.client
import json
import logging
import socket
import ssl
from datetime import UTC, datetime

from rewards.delivery import DeliveryFailed, OutboxMessage
from rewards.webhook_destinations import (
    Address,
    DestinationNotAllowed,
    DestinationPolicy,
    Resolver,
    Target,
    resolve,
)
from rewards.webhook_payloads import for_subscriber, people_in
from storage.access import clients
from storage.delivery import webhooks
from storage.reads import listings
from storage.store import Store

USER_AGENT = "Plaudit-Webhooks/1"
DETAIL_CHARS = 200  # of an error's text, in the server log only
log = logging.getLogger("plaudit.webhooks")


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of "id.timestamp.body">` with the key inside `whsec_<base64>`."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


class _Failure(Exception):
    def __init__(self, category: str, detail: object = None) -> None:
        super().__init__(category)
        self.category = category
        self.detail = detail


class WebhookDeliverer:
    """The outbox's `webhook` channel: one signed POST per message, to a checked address only."""

    def __init__(
        self,
        store: Store,
        *,
        timeout: float = 5.0,
        destinations: DestinationPolicy | None = None,
        resolver: Resolver = resolve,
    ) -> None:
        self.store = store
        self.timeout = timeout
        self.destinations = destinations or DestinationPolicy()
        self.resolver = resolver

    def deliver(self, message: OutboxMessage) -> int | None:
        """POST the message to its subscription; a failure is a DeliveryFailed naming a category only."""
        try:
            return self._deliver(message)
        except _Failure as failure:
            log.warning(
                "webhook delivery %s to subscription %s failed: %s (%s)",
                message.event_id,
                message.subscription_id,
                failure.category,
                str(failure.detail)[:DETAIL_CHARS],
            )
            raise DeliveryFailed(
                failure.category, permanent=failure.category in ("subscription_deleted", "not_permitted")
            ) from None
        except DeliveryFailed:
            raise
        except Exception:
            log.exception("webhook delivery %s failed unexpectedly", message.event_id)
            raise DeliveryFailed("delivery_failed") from None

    def _deliver(self, message: OutboxMessage) -> int | None:
        target = None
        if message.subscription_id is not None:
            target = webhooks.signing_target(self.store, message.subscription_id)
        if target is None:
            raise _Failure("subscription_deleted", "the webhook subscription was deleted")
        payload = self._payload_for(message, target.owner)
        body = json.dumps(payload, separators=(",", ":")).encode()
        timestamp = int(self.store.clock.now().timestamp())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "webhook-id": message.event_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(target.secret, message.event_id, timestamp, body),
        }
        return self._send(target.url, body, headers)

    def _payload_for(self, message: OutboxMessage, owner: str | None) -> dict:
        # A subscription reads what its client's scopes read; a revoked client's, nothing.
        client = clients.get_client(self.store, owner[4:]) if owner and owner.startswith("api:") else None
        scopes = client.scopes if client is not None and client.active else ()
        data = message.payload.get("data") or {}
        shaped = for_subscriber(message.topic, data, scopes, self._hr_ids(data))
        if shaped is None:
            raise _Failure("not_permitted", f"the subscriber may not read {message.topic}")
        return {**message.payload, "data": shaped}

    def _hr_ids(self, data: dict) -> dict[str, str | None]:
        people = people_in(data)
        return listings.external_ids(self.store, people) if people else {}

    def _send(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        try:
            target = self.destinations.check(url)
            address = self._address(target)
        except DestinationNotAllowed as exc:  # an unresolvable name too: no DNS oracle
            raise _Failure("destination_not_allowed", exc.__cause__ or exc) from None
        connection = _connection(target, address, self.timeout)
        try:
            connection.request(
                "POST", target.path, body=body, headers={"Host": _host_header(target), **headers}
            )
            response = connection.getresponse()
            status, retry_after = response.status, response.headers.get("Retry-After")
        except TimeoutError as exc:
            raise _Failure("timeout", exc) from None
        except ConnectionRefusedError as exc:
            raise _Failure("connection_refused", exc) from None
        except ssl.SSLError as exc:
            raise _Failure("tls_error", exc) from None
        except (http.client.HTTPException, UnicodeError) as exc:
            raise _Failure("bad_response", exc) from None
        except OSError as exc:
            raise _Failure("connection_error", exc) from None
        finally:
            connection.close()
        if not 200 <= status < 300:
            log.warning("webhook receiver %s answered %s", target.host, status)
            raise DeliveryFailed(
                "http_status",
                status_code=status,
                retry_after=retry_after_seconds(retry_after),
                permanent=status == 410,
            )
        return status

    def _address(self, target: Target) -> Address:
        return self.destinations.address_for(target, self.resolver)


class _PinnedHTTP(http.client.HTTPConnection):
    """HTTP to the address that was checked, whatever the name resolves to by now."""

    def __init__(self, address: Address, port: int, timeout: float) -> None:
        super().__init__(str(address), port, timeout=timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to the checked address, with the host name for SNI and the certificate check."""

    def __init__(self, host: str, address: Address, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((str(self.address), self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def _connection(target: Target, address: Address, timeout: float) -> http.client.HTTPConnection:
    if target.scheme == "https":
        return _PinnedHTTPS(target.host, address, target.port, timeout)
    return _PinnedHTTP(address, target.port, timeout)


def _host_header(target: Target) -> str:
    host = f"[{target.host}]" if ":" in target.host else target.host
    default = 443 if target.scheme == "https" else 80
    return host if target.port == default else f"{host}:{target.port}"


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds, from either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
