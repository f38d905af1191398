"""Outbox delivery: send due messages after commit, with retries and a delivery log."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from rewards.delivery import Deliverer, DeliveryDeferred, DeliveryFailed, OutboxMessage
from storage.delivery.dispatch import Outcome, claim_due, record_outcomes, renew
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
    """Try one claimed message and record the outcome; 1 when it was delivered."""
    tried = send(store, deliverer, message, policy)
    if tried is None:
        return 0
    (delivered,) = settle(store, [tried], policy, observe, due_again)
    return int(delivered)


@dataclass(frozen=True)
class Tried:
    """What sending one claimed message came to, before it is recorded."""

    message: OutboxMessage
    status_code: int | None
    error: str | None
    retry_after: float | None = None
    permanent: bool = False
    progress: int = 0
    duration_ms: int = 0
    deferred: float | None = None  # the destination asked for this pause first: nothing was sent
    finished_at: datetime | None = None


def send(store: Store, deliverer: Deliverer, message: OutboxMessage, policy: RetryPolicy) -> Tried | None:
    """Send one claimed message; None when its claim is no longer ours (then nothing is sent).

    A lease with less than half its time left is renewed first (one more write), so time spent
    waiting for a worker never lets another dispatcher claim the message while it is being
    sent; a fresher one needs no write: no send outlasts half a lease (minutes, against timeouts
    of seconds), and the record checks the claim all the same.
    """
    now = store.clock.now()
    if message.leased_until is not None and message.leased_until - now < policy.lease / 2:
        owned = renew(store, message, policy.lease)
        if owned is None:
            log.info("outbox message %s was claimed by another dispatcher; not sending it", message.id)
            return None
        message = owned
    started = time.monotonic()
    status_code, error, retry_after, permanent = None, None, None, False
    progress = message.progress
    try:
        status_code = deliverer.deliver(message)
    except DeliveryDeferred as exc:  # the destination asked for a pause: no attempt was made
        progress = exc.progress if exc.progress is not None else progress
        return Tried(message, None, None, progress=progress, deferred=exc.retry_after or 0.0)
    except DeliveryFailed as exc:
        status_code, error = exc.status_code, str(exc)
        retry_after, permanent = exc.retry_after, exc.permanent
        progress = exc.progress if exc.progress is not None else progress
    except Exception as exc:  # a bug or an unexpected network error: retry, but log its type
        error = f"{type(exc).__name__}: {exc}"
        log.exception("outbox message %s failed unexpectedly", message.id)
    duration_ms = int((time.monotonic() - started) * 1000)
    return Tried(
        message, status_code, error, retry_after, permanent, progress, duration_ms, None, store.clock.now()
    )


def settle(
    store: Store,
    tried: Sequence[Tried],
    policy: RetryPolicy,
    observe: DeliveryObserver | None = None,
    due_again: DueAgain | None = None,
) -> list[bool]:
    """Record what sending came to, all in one transaction; for each, whether it was delivered.

    An outcome is written only while its claim still owns the message (see `record_outcomes`).
    """
    now = store.clock.now()
    planned = [_outcome(t, policy, now) for t in tried]
    owned = record_outcomes(store, [outcome for outcome, _ in planned])
    delivered = []
    for t, (_, later), ours in zip(tried, planned, owned, strict=True):
        if not ours:
            log.warning(
                "outbox message %s was taken over by another dispatcher; its outcome is not recorded",
                t.message.id,
            )
        elif later is not None:
            _tell(due_again, later)
        done = ours and t.deferred is None and t.error is None
        if done and observe is not None:
            finished = t.finished_at or now
            observe(t.message.channel, max((finished - t.message.created_at).total_seconds(), 0.0))
        delivered.append(done)
    return delivered


def _tell(due_again: DueAgain | None, later: datetime | None) -> None:
    if due_again is not None and later is not None:
        due_again(later)


def _outcome(tried: Tried, policy: RetryPolicy, now: datetime) -> tuple[Outcome, datetime | None]:
    """The row's changes for one try, and when the message falls due again if it was put back."""
    message = tried.message
    if tried.deferred is not None:
        paused = now + timedelta(seconds=tried.deferred)
        changes = {"available_at": paused, "progress": tried.progress}
        return Outcome(message, changes, attempted=False), paused
    attempts = message.attempts + 1
    later: datetime | None = None
    values: dict[str, object]
    if tried.error is None:
        values = {"status": "delivered", "delivered_at": now, "last_error": None}
    elif tried.status_code == 429 and not tried.permanent:
        # A rate limit says "not now", not "broken": come back when asked (or after the backoff
        # the attempts so far earn) without spending an attempt, so it never becomes a dead letter.
        attempts = message.attempts
        wait = tried.retry_after if tried.retry_after is not None else backoff(attempts + 1, None, policy)
        later = now + timedelta(seconds=wait)
        values = {"available_at": later, "last_error": tried.error}
    elif tried.permanent or attempts >= policy.max_attempts:
        values = {"status": "dead", "last_error": tried.error}
        log.warning("outbox message %s dead after %d attempts", message.id, attempts)
    else:
        later = now + timedelta(seconds=backoff(attempts, tried.retry_after, policy))
        values = {"available_at": later, "last_error": tried.error}
    changes = {"attempts": attempts, "progress": tried.progress, **values}
    outcome = Outcome(
        message,
        changes,
        status_code=tried.status_code,
        error=tried.error,
        duration_ms=tried.duration_ms,
        attempted_at=tried.finished_at,
    )
    return outcome, later
