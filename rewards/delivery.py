"""The delivery port: what the outbox dispatcher hands to a channel (Slack, webhooks)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    channel: str  # "slack" | "webhook"
    topic: str  # e.g. "recognition.created"
    event_id: str
    payload: dict[str, Any]  # {"type", "timestamp", "data"}: ids and amounts, no personal data
    attempts: int  # attempts made before this one
    created_at: datetime
    subscription_id: int | None = None
    progress: int = 0  # parts delivered by earlier attempts


class DeliveryFailed(Exception):
    """A delivery did not succeed; the dispatcher retries later (sooner never than retry_after)."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        retry_after: float | None = None,
        permanent: bool = False,
        progress: int | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.retry_after = retry_after
        self.permanent = permanent  # no point retrying (e.g. the subscription is gone)
        self.progress = progress  # parts of a multi-part message delivered before failing


class Deliverer(Protocol):
    def deliver(self, message: OutboxMessage) -> int | None:
        """Deliver one message; return a status code if there is one, raise DeliveryFailed."""
        ...
