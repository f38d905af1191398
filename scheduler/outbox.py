"""Outbox delivery: send due messages after commit, with retries and a delivery log."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from rewards.delivery import Deliverer, DeliveryDeferred, DeliveryFailed, OutboxMessage
from storage.delivery.dispatch import claim_due, record_attempt, renew, reschedule
from storage.store import Store

log = logging.getLogger("plaudit.outbox")

MAX_ATTEMPTS = 8
BASE_BACKOFF_SECONDS = 10.0
MAX_BACKOFF_SECONDS = 6 * 3600.0
LEASE = timedelta(minutes=5)

# Told of each delivery: its channel and the seconds from the message's writing to delivery.
DeliveryObserver = Callable[[str, float], None]
# Told when a message was put back for later: the time it falls due again.
DueAgain = Callable[[datetime], None]


@dataclass(frozen=True)
class RetryPolicy:
    """How hard the dispatcher tries: exponential backoff, then a dead letter."""

    max_attempts: int = MAX_ATTEMPTS
    base_seconds: float = BASE_BACKOFF_SECONDS
    max_seconds: float = MAX_BACKOFF_SECONDS
    lease: timedelta = LEASE  # a claimed message is someone else's again after this


def backoff(attempts: int, retry_after: float | None = None, policy: RetryPolicy | None = None) -> float:
    """Seconds to wait after `attempts` failures: exponential, never sooner than Retry-After."""
    policy = policy or RetryPolicy()
    delay = min(policy.base_seconds * (2 ** max(attempts - 1, 0)), policy.max_seconds)
    return max(delay, retry_after or 0.0)


def deliver_due(
    store: Store,
    deliverers: Mapping[str, Deliverer],
    *,
    limit: int = 100,
    max_attempts: int | None = None,
    policy: RetryPolicy | None = None,
    observe: DeliveryObserver | None = None,
) -> int:
    """Deliver up to `limit` due messages one after another; returns how many were delivered."""
    policy = policy or RetryPolicy()
    if max_attempts is not None:
        policy = RetryPolicy(max_attempts, policy.base_seconds, policy.max_seconds, policy.lease)
    delivered = 0
    for message in claim_due(store, limit, list(deliverers), policy.lease):
        delivered += attempt(store, deliverers[message.channel], message, policy, observe)
    return delivered


def attempt(
    store: Store,
    deliverer: Deliverer,
    message: OutboxMessage,
    policy: RetryPolicy,
    observe: DeliveryObserver | None = None,
    due_again: DueAgain | None = None,
) -> int:
    """Try one claimed message and record the outcome; 1 when it was delivered.

    The lease is renewed first, so time spent waiting for a worker never lets another
    dispatcher claim the message while it is being sent; a claim already taken over is dropped.
    """
    owned = renew(store, message, policy.lease)
    if owned is None:
        log.info("outbox message %s was claimed by another dispatcher; not sending it", message.id)
        return 0
    message = owned
    started = time.monotonic()
    status_code, error, retry_after, permanent = None, None, None, False
    progress = message.progress
    try:
        status_code = deliverer.deliver(message)
    except DeliveryDeferred as exc:  # the destination asked for a pause: no attempt was made
        paused = store.clock.now() + timedelta(seconds=exc.retry_after or 0.0)
        if reschedule(store, message, paused, exc.progress if exc.progress is not None else progress):
            _tell(due_again, paused)
        return 0
    except DeliveryFailed as exc:
        status_code, error = exc.status_code, str(exc)
        retry_after, permanent = exc.retry_after, exc.permanent
        progress = exc.progress if exc.progress is not None else progress
    except Exception as exc:  # a bug or an unexpected network error: retry, but log its type
        error = f"{type(exc).__name__}: {exc}"
        log.exception("outbox message %s failed unexpectedly", message.id)
    later = _record(
        store,
        message,
        status_code,
        error,
        retry_after,
        permanent,
        policy,
        int((time.monotonic() - started) * 1000),
        progress,
    )
    _tell(due_again, later)
    if error is None and observe is not None:
        observe(message.channel, max((store.clock.now() - message.created_at).total_seconds(), 0.0))
    return 1 if error is None else 0


def _tell(due_again: DueAgain | None, later: datetime | None) -> None:
    if due_again is not None and later is not None:
        due_again(later)


def _record(
    store: Store,
    message: OutboxMessage,
    status_code: int | None,
    error: str | None,
    retry_after: float | None,
    permanent: bool,
    policy: RetryPolicy,
    duration_ms: int,
    progress: int,
) -> datetime | None:
    """Record the attempt; returns when the message falls due again, if it was put back."""
    now = store.clock.now()
    attempts = message.attempts + 1
    later: datetime | None = None
    if error is None:
        values = {"status": "delivered", "delivered_at": now, "last_error": None}
    elif status_code == 429 and not permanent:
        # A rate limit says "not now", not "broken": come back when asked (or after the backoff
        # the attempts so far earn) without spending an attempt, so it never becomes a dead letter.
        attempts = message.attempts
        later = now + timedelta(
            seconds=retry_after if retry_after is not None else backoff(attempts + 1, None, policy)
        )
        values = {"available_at": later, "last_error": error}
    elif permanent or attempts >= policy.max_attempts:
        values = {"status": "dead", "last_error": error}
        log.warning("outbox message %s dead after %d attempts", message.id, attempts)
    else:
        later = now + timedelta(seconds=backoff(attempts, retry_after, policy))
        values = {"available_at": later, "last_error": error}
    owned = record_attempt(
        store,
        message,
        changes={"attempts": attempts, "progress": progress, **values},
        status_code=status_code,
        error=error,
        duration_ms=duration_ms,
    )
    if not owned:
        log.warning(
            "outbox message %s was taken over by another dispatcher; its outcome is not recorded", message.id
        )
        return None
    return later
