"""Outbox administration: what is waiting or dead, sending dead letters again, purging delivered ones."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import case, func, select, update

from storage.delivery import totals
from storage.schema.core import OutboxAttemptRow, OutboxRow
from storage.store import Store


@dataclass(frozen=True)
class DeadLetter:
    """A message that will not be tried again: its ids and error, never its payload."""

    id: int
    channel: str
    topic: str
    event_id: str
    attempts: int
    created_at: datetime
    last_error: str | None


@dataclass(frozen=True)
class Destination:
    """One destination (Slack, or a webhook subscription): what waits and how its recent attempts went."""

    channel: str
    subscription_id: int | None
    pending: int
    oldest_pending_age: timedelta | None
    attempts: int  # within the recent window
    failures: int
    mean_ms: float | None
    max_ms: int | None

    @property
    def name(self) -> str:
        return self.channel if self.subscription_id is None else f"{self.channel} #{self.subscription_id}"


@dataclass(frozen=True)
class OutboxStatus:
    counts: dict[tuple[str, str], int]  # (status, channel) -> messages
    oldest_pending_age: timedelta | None
    dead: list[DeadLetter]
    slowest: list[Destination] = field(default_factory=list)


def outbox_status(store: Store, dead_limit: int = 50) -> OutboxStatus:
    """Counts by status and channel, the age of the oldest pending message, the dead letters."""
    now = store.clock.now()
    with store.reader() as uow:
        session = uow.session
        counts = {
            (status, channel): int(n)
            for status, channel, n in session.execute(
                select(OutboxRow.status, OutboxRow.channel, func.count()).group_by(
                    OutboxRow.status, OutboxRow.channel
                )
            )
        }
        oldest = session.scalar(select(func.min(OutboxRow.created_at)).where(OutboxRow.status == "pending"))
        dead = [
            DeadLetter(*row)
            for row in session.execute(
                select(
                    OutboxRow.id,
                    OutboxRow.channel,
                    OutboxRow.topic,
                    OutboxRow.event_id,
                    OutboxRow.attempts,
                    OutboxRow.created_at,
                    OutboxRow.last_error,
                )
                .where(OutboxRow.status == "dead")
                .order_by(OutboxRow.id)
                .limit(dead_limit)
            )
        ]
        slowest = slowest_destinations(session, now)
    return OutboxStatus(counts, _age(now, oldest), dead, slowest)


def _age(now: datetime, then: datetime | None) -> timedelta | None:
    if then is None:
        return None
    if then.tzinfo is None:
        then = then.replace(tzinfo=now.tzinfo)
    return max(now - then, timedelta(0))


def slowest_destinations(
    session, now: datetime, window: timedelta = timedelta(hours=1), limit: int = 10
) -> list[Destination]:
    """Destinations by oldest pending message, then by their slowest attempt within `window`."""
    where = (OutboxRow.channel, OutboxRow.subscription_id)
    pending = {
        (channel, sub): (int(n), first)
        for channel, sub, n, first in session.execute(
            select(*where, func.count(), func.min(OutboxRow.created_at))
            .where(OutboxRow.status == "pending")
            .group_by(*where)
        )
    }
    recent = {
        (channel, sub): (int(n), int(failed or 0), mean, longest)
        for channel, sub, n, failed, mean, longest in session.execute(
            select(
                *where,
                func.count(),
                func.sum(case((OutboxAttemptRow.succeeded.is_(False), 1), else_=0)),
                func.avg(OutboxAttemptRow.duration_ms),
                func.max(OutboxAttemptRow.duration_ms),
            )
            .join(OutboxRow, OutboxRow.id == OutboxAttemptRow.outbox_id)
            .where(OutboxAttemptRow.attempted_at >= now - window)
            .group_by(*where)
        )
    }
    found = []
    for key in pending.keys() | recent.keys():
        waiting, first = pending.get(key, (0, None))
        tried, failed, mean, longest = recent.get(key, (0, 0, None, None))
        mean_ms = None if mean is None else float(mean)
        found.append(Destination(key[0], key[1], waiting, _age(now, first), tried, failed, mean_ms, longest))
    found.sort(key=lambda d: (d.oldest_pending_age or timedelta(0), d.max_ms or 0), reverse=True)
    return found[:limit]


def retry_dead(store: Store, message_id: int | None = None) -> int:
    """Send dead letters again from a clean slate (one, or all); returns how many."""
    query = update(OutboxRow).where(OutboxRow.status == "dead")
    if message_id is not None:
        query = query.where(OutboxRow.id == message_id)
    with store.uow() as uow:
        changed = (
            uow.session.connection()
            .execute(query.values(status="pending", attempts=0, available_at=store.clock.now()))
            .rowcount
        )
        if changed:
            uow.events.mark_written()  # wakes the dispatchers at commit
        uow.commit()
    return int(changed or 0)


DELIVERED_KEPT = timedelta(days=2)  # the delivery log clients read; erasure scans only what is kept
ERASED_TOPIC = "employee.erased"
HR_ID = json.dumps("external_id") + ":" + '"'  # how a non-null HR id reads in a stored payload


def purge_delivered(store: Store, older_than: timedelta = DELIVERED_KEPT, batch: int = 1000) -> int:
    """Delete delivered messages older than `older_than` with their attempts, and failed attempts
    older than that of the messages kept, in short batches; strip the HR id from delivered
    `employee.erased` messages (their subscribers have it).

    Pending and dead messages stay. What is deleted is added to the carried delivery totals in
    the same transaction (`storage.delivery.totals`), so the counts /metrics reports never go
    down. Returns how many messages were deleted.
    """
    with store.engine.begin() as conn:
        erased = conn.execute(
            select(OutboxRow.id, OutboxRow.payload).where(
                OutboxRow.status == "delivered",
                OutboxRow.topic == ERASED_TOPIC,
                OutboxRow.payload.contains(HR_ID, autoescape=True),
            )
        ).all()
        for message_id, payload in erased:
            body = json.loads(payload)
            body["data"]["external_id"] = None
            scrubbed = json.dumps(body, separators=(",", ":"))
            conn.execute(update(OutboxRow).where(OutboxRow.id == message_id).values(payload=scrubbed))
    cutoff = store.clock.now() - older_than
    removed = 0
    while True:  # one transaction per batch, so writers wait for one batch at most
        with store.engine.begin() as conn:
            ids = list(
                conn.scalars(
                    select(OutboxRow.id)
                    .where(OutboxRow.status == "delivered", OutboxRow.created_at < cutoff)
                    .limit(batch)
                )
            )
            totals.forget_messages(conn, ids)
        removed += len(ids)
        if len(ids) < batch:
            break
    while True:
        with store.engine.begin() as conn:
            failed = totals.forget_failed_attempts(conn, cutoff, batch)
        if failed < batch:
            return removed
