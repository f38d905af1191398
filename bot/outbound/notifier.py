"""The Slack notifier: delivers outbox messages as Slack Web API calls, resuming after failures."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackObjectFormationError

from rewards.delivery import DeliveryDeferred, DeliveryFailed, DestinationPacing, OutboxMessage, Pace
from rewards.model import CatalogItem, Employee
from storage.store import Store

log = logging.getLogger("plaudit.slack.notifier")

# Slack's documented rate for posting: about one message a second per channel, short bursts allowed.
SLACK_PACES = {"chat.postMessage": Pace(per_second=1.0, burst=4)}


@dataclass(frozen=True)
class SlackPost:
    """One Web API call a message turns into (usually chat.postMessage)."""

    channel: str
    text: str
    blocks: list[dict[str, Any]] | None = None
    method: str = "chat.postMessage"
    extra: dict[str, Any] = field(default_factory=dict)


class RenderContext:
    """What renderers may look up: employees and catalog items, read at delivery time."""

    def __init__(self, store: Store, settings: Mapping[str, str]) -> None:
        self.store = store
        self.settings = settings  # adapter settings, e.g. the celebration channel

    def employee(self, employee_id: str) -> Employee | None:
        with self.store.reader() as uow:
            return uow.employees.get(employee_id)

    def slack_id(self, employee_id: str | None) -> str | None:
        found = self.employee(employee_id) if employee_id else None
        return found.slack_user_id if found else None

    def item(self, item_id: int) -> CatalogItem | None:
        with self.store.reader() as uow:
            return uow.catalog.get(item_id)


Renderer = Callable[[dict[str, Any], RenderContext], list[SlackPost]]


class SlackNotifier:
    """A Deliverer for the outbox's "slack" channel."""

    def __init__(
        self,
        client: WebClient,
        context: RenderContext,
        renderers: Mapping[str, Renderer],
        pacing: DestinationPacing | None = None,
    ) -> None:
        self.client = client
        self.context = context
        self.renderers = renderers
        # Per method and channel: Retry-After is kept here, so a rate-limited channel is deferred
        # (the message waits in the outbox) instead of a worker sleeping on it.
        self.pacing = pacing or DestinationPacing(context.store.clock)

    def deliver(self, message: OutboxMessage) -> int | None:
        renderer = self.renderers.get(message.topic)
        if renderer is None:
            return None  # nothing to say in Slack about this event
        try:
            posts = renderer(message.payload.get("data", {}), self.context)
        except (SlackObjectFormationError, LookupError, TypeError, ValueError) as exc:
            # The same event renders the same way next time: a dead letter now, not eight retries.
            log.warning("outbox message %s cannot be rendered: %s", message.id, type(exc).__name__)
            raise DeliveryFailed(
                f"cannot render {message.topic}: {type(exc).__name__}", permanent=True
            ) from None
        for index, post in enumerate(posts):
            if index < message.progress:
                continue  # sent by an earlier attempt
            self._send(post, index)
        return 200

    def _send(self, post: SlackPost, index: int) -> None:
        destination = (post.method, post.channel)
        wait = self.pacing.wait(destination, post.method)
        if wait > 0:
            raise DeliveryDeferred(
                f"Slack {post.method} paused for this channel", retry_after=wait, progress=index
            )
        args = {"channel": post.channel, "text": post.text, **post.extra}
        if post.blocks is not None:
            args["blocks"] = post.blocks
        try:
            self.client.api_call(post.method, json=args)
        except SlackApiError as exc:
            status = exc.response.status_code
            retry_after = _retry_after(exc.response.headers)
            if status == 429:
                self.pacing.hold(destination, retry_after if retry_after is not None else 1.0)
            error = exc.response.get("error") if hasattr(exc.response, "get") else None
            permanent = error in {
                "invalid_blocks",
                "invalid_blocks_format",
                "msg_too_long",
                "too_many_attachments",
                "invalid_arguments",
                "channel_not_found",
                "user_not_found",
                "not_in_channel",
                "account_inactive",
                "invalid_auth",
                "is_archived",
            }
            raise DeliveryFailed(
                f"Slack {post.method} answered {status} {error or ''}".strip(),
                status_code=status,
                retry_after=retry_after,
                permanent=permanent,
                progress=index,
            ) from None
        except OSError as exc:
            raise DeliveryFailed(f"Slack unreachable: {type(exc).__name__}", progress=index) from None


def _retry_after(headers: Mapping[str, Any]) -> float | None:
    for name, value in (headers or {}).items():
        if name.lower() == "retry-after":
            try:
                return float(value if not isinstance(value, list) else value[0])
            except (TypeError, ValueError):
                return None
    return None
