"""The dispatcher's statements: claim due outbox messages under a lease, and record each attempt."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, or_, select, update

from rewards.delivery import OutboxMessage
from storage.database.engine import is_sqlite
from storage.schema.core import OutboxAttemptRow, OutboxRow
from storage.store import Store


def claim_due(
    store: Store,
    limit: int,
    channels: list[str],
    lease: timedelta,
    skip_subscriptions: Collection[int] = (),
) -> list[OutboxMessage]:
    """Take due messages of the given channels; SKIP LOCKED lets dispatchers share the work.

    Webhook messages of `skip_subscriptions` (receivers this dispatcher is still busy with)
    are left for later, so a slow receiver's backlog never fills a batch.
    """
    if not channels or limit <= 0:
        return []
    now = store.clock.now()
    query = (
        select(OutboxRow)
        .where(OutboxRow.status == "pending", OutboxRow.available_at <= now, OutboxRow.channel.in_(channels))
        .order_by(OutboxRow.id)
        .limit(limit)
    )
    if skip_subscriptions:
        query = query.where(
            or_(
                OutboxRow.subscription_id.is_(None),
                OutboxRow.subscription_id.not_in(list(skip_subscriptions)),
            )
        )
    if not is_sqlite(store.engine):
        query = query.with_for_update(skip_locked=True)
    with store.uow() as uow:
        rows = uow.session.scalars(query).all()
        # Lease the rows so a second dispatcher does not send them while we do.
        leased_until = now + lease
        for row in rows:
            row.available_at = leased_until
        messages = [_to_message(row) for row in rows]
        uow.commit()
    return messages


def record_attempt(
    store: Store,
    message: OutboxMessage,
    *,
    changes: Mapping[str, Any],
    status_code: int | None,
    error: str | None,
    duration_ms: int,
) -> None:
    """Apply an attempt's outcome to its message and append it to the delivery log, in one transaction."""
    with store.uow() as uow:
        uow.session.execute(update(OutboxRow).where(OutboxRow.id == message.id).values(**changes))
        uow.session.execute(
            insert(OutboxAttemptRow).values(
                outbox_id=message.id,
                attempted_at=store.clock.now(),
                succeeded=error is None,
                status_code=status_code,
                error=error,
                duration_ms=duration_ms,
            )
        )
        uow.commit()


def reschedule(store: Store, message: OutboxMessage, available_at: datetime, progress: int) -> None:
    """Put a claimed message back for later without counting an attempt (it was not tried)."""
    with store.uow() as uow:
        uow.session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == message.id, OutboxRow.status == "pending")
            .values(available_at=available_at, progress=progress)
        )
        uow.commit()


def next_due(store: Store, channels: list[str]) -> datetime | None:
    """When the earliest pending message of these channels falls due (leased ones included)."""
    if not channels:
        return None
    with store.reader() as uow:
        return uow.session.scalar(
            select(func.min(OutboxRow.available_at)).where(
                OutboxRow.status == "pending", OutboxRow.channel.in_(channels)
            )
        )


def oldest_pending(store: Store) -> datetime | None:
    """When the oldest undelivered message was written, or None when nothing waits."""
    with store.reader() as uow:
        return uow.session.scalar(
            select(OutboxRow.created_at).where(OutboxRow.status == "pending").order_by(OutboxRow.id).limit(1)
        )


def _to_message(row: OutboxRow) -> OutboxMessage:
    return OutboxMessage(
        id=row.id,
        channel=row.channel,
        topic=row.topic,
        event_id=row.event_id,
        payload=json.loads(row.payload),
        attempts=row.attempts,
        created_at=row.created_at,
        subscription_id=row.subscription_id,
        progress=row.progress,
    )
