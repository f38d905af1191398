"""The dispatcher's statements: claim due outbox messages under a lease, and record each attempt."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import replace
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
    *,
    kind: str | None = None,
    per_subscription: int | None = None,
) -> list[OutboxMessage]:
    """Take due messages of the given channels; SKIP LOCKED lets dispatchers share the work.

    Webhook messages of `skip_subscriptions` (receivers this dispatcher is still busy with)
    are left for later, so a slow receiver's backlog never fills a batch. `kind` "direct"
    takes only messages without a subscription (Slack), "subscribed" only webhook ones;
    `per_subscription` caps how many one subscription gets in this claim.
    """
    if not channels or limit <= 0:
        return []
    now = store.clock.now()
    due = (OutboxRow.status == "pending", OutboxRow.available_at <= now, OutboxRow.channel.in_(channels))
    query = select(OutboxRow).where(*due).order_by(OutboxRow.id).limit(limit)
    if kind == "direct":
        query = query.where(OutboxRow.subscription_id.is_(None))
    elif kind == "subscribed":
        query = query.where(OutboxRow.subscription_id.is_not(None))
    if skip_subscriptions:
        query = query.where(
            or_(
                OutboxRow.subscription_id.is_(None),
                OutboxRow.subscription_id.not_in(list(skip_subscriptions)),
            )
        )
    if per_subscription is not None and kind != "direct":
        ranked = (
            select(
                OutboxRow.id,
                func.row_number()
                .over(partition_by=OutboxRow.subscription_id, order_by=OutboxRow.id)
                .label("rank"),
            )
            .where(*due, OutboxRow.subscription_id.is_not(None))
            .subquery()
        )
        first = select(ranked.c.id).where(ranked.c.rank <= per_subscription)
        query = query.where(or_(OutboxRow.subscription_id.is_(None), OutboxRow.id.in_(first)))
    if not is_sqlite(store.engine):
        query = query.with_for_update(skip_locked=True)
    with store.uow() as uow:
        rows = uow.session.scalars(query).all()
        # Lease the rows so a second dispatcher does not send them while we do; the lease's
        # end is also the claim's token: whoever writes a new one has taken the message over.
        leased_until = now + lease
        for row in rows:
            row.available_at = leased_until
        messages = [_to_message(row) for row in rows]
        uow.commit()
    return messages


def renew(store: Store, message: OutboxMessage, lease: timedelta) -> OutboxMessage | None:
    """Extend a claimed message's lease just before sending it; None when another claim took it."""
    if message.leased_until is None:
        return message
    leased_until = store.clock.now() + lease
    with store.uow() as uow:
        changed = (
            uow.session.connection()
            .execute(update(OutboxRow).where(*_owned(message)).values(available_at=leased_until))
            .rowcount
        )
        uow.commit()
    return replace(message, leased_until=leased_until) if changed else None


def _owned(message: OutboxMessage) -> tuple[Any, ...]:
    """Still pending and still under this claim's lease (no token: any pending row, as before)."""
    owned: tuple[Any, ...] = (OutboxRow.id == message.id, OutboxRow.status == "pending")
    if message.leased_until is not None:
        owned += (OutboxRow.available_at == message.leased_until,)
    return owned


def record_attempt(
    store: Store,
    message: OutboxMessage,
    *,
    changes: Mapping[str, Any],
    status_code: int | None,
    error: str | None,
    duration_ms: int,
) -> bool:
    """Apply an attempt's outcome to its message and append it to the delivery log, in one transaction.

    The outcome is applied only while this claim still owns the message; False when it did not.
    """
    with store.uow() as uow:
        owned = (
            uow.session.connection()
            .execute(update(OutboxRow).where(*_owned(message)).values(**changes))
            .rowcount
        )
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
    return bool(owned)


def reschedule(store: Store, message: OutboxMessage, available_at: datetime, progress: int) -> bool:
    """Put a claimed message back for later without counting an attempt (it was not tried).

    Only while this claim still owns it; False when another dispatcher has taken it over.
    """
    with store.uow() as uow:
        changed = (
            uow.session.connection()
            .execute(
                update(OutboxRow).where(*_owned(message)).values(available_at=available_at, progress=progress)
            )
            .rowcount
        )
        uow.commit()
    return bool(changed)


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
        leased_until=row.available_at,
    )
