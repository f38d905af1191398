"""The delivery port: what the outbox dispatcher hands to a channel (Slack, webhooks)."""

from __future__ import annotations

import threading
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from rewards.clock import Clock


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
    leased_until: datetime | None = None  # the claim's token: the lease this dispatcher wrote


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


class DeliveryDeferred(DeliveryFailed):
    """Not attempted: the destination asked for a pause; try again after retry_after, no attempt spent."""

    def __init__(self, message: str, *, retry_after: float, progress: int | None = None) -> None:
        super().__init__(message, retry_after=retry_after, progress=progress)


@dataclass(frozen=True)
class Pace:
    """A destination's posting rate: `burst` requests at once, then `per_second` on average."""

    per_second: float
    burst: int


PRUNE_EVERY = timedelta(seconds=60)


class DestinationPacing:
    """Per destination key: no request before the time it asked for, and no faster than its pace.

    Thread-safe; time comes from the injected clock. `wait` books a request when it may go now
    (returns 0) or answers how many seconds to defer it.
    """

    def __init__(self, clock: Clock, paces: Mapping[str, Pace] | None = None) -> None:
        self.clock = clock
        self.paces = dict(paces or {})
        self._held_until: dict[Hashable, datetime] = {}
        self._buckets: dict[Hashable, tuple[float, datetime]] = {}  # key -> (tokens, when counted)
        self._lock = threading.Lock()
        self._pruned_at: datetime | None = None

    def hold(self, key: Hashable, seconds: float) -> None:
        """The destination answered "retry after `seconds`": nothing goes there before then."""
        until = self.clock.now() + timedelta(seconds=max(seconds, 0.0))
        with self._lock:
            self._held_until[key] = max(until, self._held_until.get(key, until))

    def wait(self, key: Hashable, kind: str = "") -> float:
        """0 and the request is booked; otherwise the seconds to wait before trying again."""
        now = self.clock.now()
        with self._lock:
            if self._pruned_at is None or now - self._pruned_at >= PRUNE_EVERY:
                self._prune(now)
            held = self._held_until.get(key)
            if held is not None:
                if held > now:
                    return (held - now).total_seconds()
                del self._held_until[key]
            pace = self.paces.get(kind)
            if pace is None:
                return 0.0
            tokens, counted = self._buckets.get(key, (float(pace.burst), now))
            tokens = min(float(pace.burst), tokens + (now - counted).total_seconds() * pace.per_second)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return (1.0 - tokens) / pace.per_second
            self._buckets[key] = (tokens - 1.0, now)
            return 0.0

    def _prune(self, now: datetime) -> None:
        # A full bucket and a passed hold say nothing a fresh entry would not: forget them.
        self._pruned_at = now
        self._held_until = {k: until for k, until in self._held_until.items() if until > now}
        full = {name: pace.burst for name, pace in self.paces.items()}
        rate = min((pace.per_second for pace in self.paces.values()), default=0.0)
        ceiling = max(full.values(), default=0)
        if rate <= 0:
            return
        self._buckets = {
            k: (tokens, counted)
            for k, (tokens, counted) in self._buckets.items()
            if tokens + (now - counted).total_seconds() * rate < ceiling
        }
