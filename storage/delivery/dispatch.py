"""The dispatcher's statements: claim due outbox messages under a lease, and record each attempt."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, insert, or_, select, update
from sqlalchemy.engine import Connection

from rewards.delivery import OutboxMessage
from storage.database.engine import is_sqlite
from storage.schema.core import OutboxAttemptRow, OutboxRow
from storage.store import Store

OUTBOX = OutboxRow.__table__
ATTEMPTS = OutboxAttemptRow.__table__


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
        first = _first_per_subscription(due, per_subscription)
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


@dataclass(frozen=True)
class ClaimRequest:
    """How many messages of each kind one claim may take, and which to take first.

    Slack messages due since `fresh_since` (just written, or just due again) come first, oldest
    of them first; but `backlog` places of the direct room go to those due longer, oldest due
    first, when there are any (the dispatcher sets aside a share of its claims this way). So a
    fresh message never waits behind a backlog, and a backlog still drains under a steady
    stream of fresh messages.
    """

    direct: int = 0
    subscribed: int = 0
    fresh_since: datetime | None = None
    backlog: int = 0
    skip_subscriptions: Collection[int] = ()
    per_subscription: int | None = None


def claim(store: Store, channels: list[str], lease: timedelta, request: ClaimRequest) -> list[OutboxMessage]:
    """Lease due messages of both kinds in one transaction; fresh Slack messages first.

    On SQLite the candidates are chosen by a read that takes no write lock, and the lease is
    then written only on those still due (another dispatcher may have taken some meanwhile);
    nothing due takes no write lock at all. On PostgreSQL the candidates are locked with
    SKIP LOCKED, so dispatchers share the work without waiting for each other.
    """
    if not channels or (request.direct <= 0 and request.subscribed <= 0):
        return []
    now = store.clock.now()
    leased_until = now + lease
    if is_sqlite(store.engine):
        with store.reader() as reader:
            ids = _candidates(reader.session.connection(), now, channels, request, lock=False)
        if not ids:
            return []
        with store.uow() as uow:
            rows = _lease(uow.session.connection(), ids, now, leased_until)
            uow.commit()
    else:
        with store.uow() as uow:
            conn = uow.session.connection()
            ids = _candidates(conn, now, channels, request, lock=True)
            rows = _lease(conn, ids, now, leased_until) if ids else []
            uow.commit()
    order = {message_id: n for n, message_id in enumerate(ids)}
    return [_to_message(row) for row in sorted(rows, key=lambda row: order[row.id])]


def _candidates(
    conn: Connection, now: datetime, channels: list[str], request: ClaimRequest, *, lock: bool
) -> list[int]:
    due = (OutboxRow.status == "pending", OutboxRow.available_at <= now, OutboxRow.channel.in_(channels))

    def ids(query: Select[int], limit: int, *order: Any) -> list[int]:
        if limit <= 0:
            return []
        query = query.where(*due).order_by(*(order or (OutboxRow.id,))).limit(limit)
        if lock:
            query = query.with_for_update(skip_locked=True)
        return list(conn.scalars(query))

    direct = select(OutboxRow.id).where(OutboxRow.subscription_id.is_(None))
    if request.fresh_since is None:
        chosen = ids(direct, request.direct)
    else:
        # Fresh: due since `fresh_since` (just written, or just due again); the index on
        # (status, available_at) reads them, and the backlog oldest due first, without a sort.
        fresh = ids(direct.where(OutboxRow.available_at >= request.fresh_since), request.direct)
        reserved = min(request.backlog, request.direct)
        backlog = ids(
            direct.where(OutboxRow.available_at < request.fresh_since),
            request.direct - min(len(fresh), request.direct - reserved),
            OutboxRow.available_at,
            OutboxRow.id,
        )
        chosen = fresh[: request.direct - len(backlog)] + backlog  # fresh takes what the backlog left
    if request.subscribed > 0:
        hooks = select(OutboxRow.id).where(OutboxRow.subscription_id.is_not(None))
        if request.skip_subscriptions:
            hooks = hooks.where(OutboxRow.subscription_id.not_in(list(request.skip_subscriptions)))
        if request.per_subscription is not None:
            hooks = hooks.where(OutboxRow.id.in_(_first_per_subscription(due, request.per_subscription)))
        chosen += ids(hooks, request.subscribed)
    return chosen


def _first_per_subscription(due: tuple[Any, ...], per_subscription: int) -> Select[int]:
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
    return select(ranked.c.id).where(ranked.c.rank <= per_subscription)


def _lease(conn: Connection, ids: list[int], now: datetime, leased_until: datetime) -> list[Any]:
    """Write the lease on those of `ids` still pending and due; returns their rows as leased."""
    statement = (
        update(OUTBOX)
        .where(OUTBOX.c.id.in_(ids), OUTBOX.c.status == "pending", OUTBOX.c.available_at <= now)
        .values(available_at=leased_until)
        .returning(*OUTBOX.c)
    )
    return list(conn.execute(statement))


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
    (owned,) = record_outcomes(store, [Outcome(message, changes, True, status_code, error, duration_ms)])
    return owned


@dataclass(frozen=True)
class Outcome:
    """What to write for one claimed message: its row's changes, and the attempt to log if one was made."""

    message: OutboxMessage
    changes: Mapping[str, Any]
    attempted: bool = True
    status_code: int | None = None
    error: str | None = None
    duration_ms: int | None = None
    attempted_at: datetime | None = None


def record_outcomes(store: Store, outcomes: Sequence[Outcome], *, wake: bool = False) -> list[bool]:
    """Apply many outcomes in one transaction; for each, whether this claim still owned its message.

    A row changes only while it carries this claim's lease; every attempt made is logged all the same.
    `wake`: the commit wakes the dispatchers (NOTIFY on PostgreSQL), for messages due again now.
    """
    if not outcomes:
        return []
    now = store.clock.now()
    with store.uow() as uow:
        conn = uow.session.connection()
        if wake:
            uow.events.mark_written()
        owned = [
            bool(conn.execute(update(OUTBOX).where(*_owned(o.message)).values(**o.changes)).rowcount)
            for o in outcomes
        ]
        logged = [
            {
                "outbox_id": o.message.id,
                "attempted_at": o.attempted_at or now,
                "succeeded": o.error is None,
                "status_code": o.status_code,
                "error": o.error,
                "duration_ms": o.duration_ms,
            }
            for o in outcomes
            if o.attempted
        ]
        if logged:
            conn.execute(insert(ATTEMPTS), logged)
        uow.commit()
    return owned


def release(store: Store, messages: Sequence[OutboxMessage]) -> int:
    """Hand claimed messages that were never sent back to the outbox, due now; returns how many."""
    now = store.clock.now()
    outcomes = [Outcome(m, {"available_at": now, "progress": m.progress}, attempted=False) for m in messages]
    return sum(record_outcomes(store, outcomes, wake=True))  # another dispatcher takes them at once


def reschedule(store: Store, message: OutboxMessage, available_at: datetime, progress: int) -> bool:
    """Put a claimed message back for later without counting an attempt (it was not tried).

    Only while this claim still owns it; False when another dispatcher has taken it over.
    """
    changes = {"available_at": available_at, "progress": progress}
    (owned,) = record_outcomes(store, [Outcome(message, changes, attempted=False)])
    return owned


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


def _to_message(row: Any) -> OutboxMessage:
    """A message from an outbox row (ORM or Core), its lease (available_at) as the claim's token."""
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
