"""Outbox delivery: send due messages after commit, with retries and a delivery log."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update

from rewards.delivery import Deliverer, DeliveryFailed, OutboxMessage
from storage.engine import is_sqlite
from storage.store import Store
from storage.tables import OutboxAttemptRow, OutboxRow

log = logging.getLogger("plaudit.outbox")

MAX_ATTEMPTS = 8
BASE_BACKOFF_SECONDS = 10.0


def backoff(attempts: int, retry_after: float | None = None) -> float:
    """Seconds to wait after `attempts` failures: exponential, never sooner than Retry-After."""
    delay = BASE_BACKOFF_SECONDS * (2 ** max(attempts - 1, 0))
    return max(delay, retry_after or 0.0)


def deliver_due(store: Store, deliverers: Mapping[str, Deliverer], *, limit: int = 100,
                max_attempts: int = MAX_ATTEMPTS) -> int:
    """Deliver up to `limit` due messages; returns how many were delivered."""
    delivered = 0
    for message in _claim_due(store, limit):
        deliverer = deliverers.get(message.channel)
        if deliverer is None:
            continue  # nobody here delivers this channel (e.g. Slack not configured)
        delivered += _attempt(store, deliverer, message, max_attempts)
    return delivered


def _claim_due(store: Store, limit: int) -> list[OutboxMessage]:
    now = store.clock.now()
    query = (select(OutboxRow).where(OutboxRow.status == "pending", OutboxRow.available_at <= now)
             .order_by(OutboxRow.id).limit(limit))
    if not is_sqlite(store.engine):
        query = query.with_for_update(skip_locked=True)
    with store.uow() as uow:
        rows = uow.session.scalars(query).all()
        # Lease the rows so a second dispatcher does not send them while we do.
        lease = now + timedelta(minutes=5)
        for row in rows:
            row.available_at = lease
        messages = [_to_message(row) for row in rows]
        uow.commit()
    return messages


def _attempt(store: Store, deliverer: Deliverer, message: OutboxMessage, max_attempts: int) -> int:
    started = time.monotonic()
    status_code, error, retry_after, permanent = None, None, None, False
    progress = message.progress
    try:
        status_code = deliverer.deliver(message)
    except DeliveryFailed as exc:
        status_code, error = exc.status_code, str(exc)
        retry_after, permanent = exc.retry_after, exc.permanent
        progress = exc.progress if exc.progress is not None else progress
    except Exception as exc:  # a bug or an unexpected network error: retry, but log its type
        error = f"{type(exc).__name__}: {exc}"
        log.exception("outbox message %s failed unexpectedly", message.id)
    _record(store, message, status_code, error, retry_after, permanent, max_attempts,
            int((time.monotonic() - started) * 1000), progress)
    return 1 if error is None else 0


def _record(store: Store, message: OutboxMessage, status_code, error, retry_after, permanent,
            max_attempts: int, duration_ms: int, progress: int) -> None:
    now = store.clock.now()
    attempts = message.attempts + 1
    if error is None:
        values = {"status": "delivered", "delivered_at": now, "last_error": None}
    elif permanent or attempts >= max_attempts:
        values = {"status": "dead", "last_error": error}
    else:
        values = {"available_at": now + timedelta(seconds=backoff(attempts, retry_after)),
                  "last_error": error}
    with store.uow() as uow:
        uow.session.execute(update(OutboxRow).where(OutboxRow.id == message.id)
                            .values(attempts=attempts, progress=progress, **values))
        uow.session.execute(insert(OutboxAttemptRow).values(
            outbox_id=message.id, attempted_at=now, succeeded=error is None,
            status_code=status_code, error=error, duration_ms=duration_ms))
        uow.commit()


def _to_message(row: OutboxRow) -> OutboxMessage:
    return OutboxMessage(
        id=row.id, channel=row.channel, topic=row.topic, event_id=row.event_id,
        payload=json.loads(row.payload), attempts=row.attempts,
        created_at=row.created_at, subscription_id=row.subscription_id, progress=row.progress)


def oldest_pending(store: Store) -> datetime | None:
    with store.reader() as uow:
        return uow.session.scalar(select(OutboxRow.created_at).where(
            OutboxRow.status == "pending").order_by(OutboxRow.id).limit(1))
