"""Webhook delivery: POST each outbox event signed per the Standard Webhooks scheme."""

from __future__ import annotations

import base64
import email.utils
import hashlib
import hmac
import json
import urllib.error
import urllib.request
from datetime import UTC, datetime

from rewards.delivery import DeliveryFailed, OutboxMessage
from storage.delivery import webhooks
from storage.store import Store

USER_AGENT = "Plaudit-Webhooks/1"


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of "id.timestamp.body">` with the key inside `whsec_<base64>`."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is a failed delivery, not a hop to somewhere else


class WebhookDeliverer:
    """The outbox's `webhook` channel: one signed POST per message, with a short timeout."""

    def __init__(self, store: Store, *, timeout: float = 5.0) -> None:
        self.store = store
        self.timeout = timeout
        self.opener = urllib.request.build_opener(_NoRedirect)

    def deliver(self, message: OutboxMessage) -> int | None:
        target = None
        if message.subscription_id is not None:
            target = webhooks.signing_target(self.store, message.subscription_id)
        if target is None:
            raise DeliveryFailed("the webhook subscription was deleted", permanent=True)
        url, secret = target
        body = json.dumps(message.payload, separators=(",", ":")).encode()
        timestamp = int(self.store.clock.now().timestamp())
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                "webhook-id": message.event_id,
                "webhook-timestamp": str(timestamp),
                "webhook-signature": sign(secret, message.event_id, timestamp, body),
            },
        )
        return self._send(request)

    def _send(self, request: urllib.request.Request) -> int:
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            raise DeliveryFailed(
                f"the receiver answered {exc.code}",
                status_code=exc.code,
                retry_after=retry_after_seconds(exc.headers.get("Retry-After")),
                permanent=exc.code == 410,
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DeliveryFailed(f"could not reach the receiver: {type(reason).__name__}") from None
        if not 200 <= status < 300:
            raise DeliveryFailed(f"the receiver answered {status}", status_code=status)
        return status


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
