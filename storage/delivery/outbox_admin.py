"""Outbox administration: what is waiting or dead, and sending dead letters again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from storage.schema.core import OutboxRow
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
class OutboxStatus:
    counts: dict[tuple[str, str], int]  # (status, channel) -> messages
    oldest_pending_age: timedelta | None
    dead: list[DeadLetter]


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
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=now.tzinfo)
    return OutboxStatus(counts, None if oldest is None else max(now - oldest, timedelta(0)), dead)


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
        uow.commit()
    return int(changed or 0)
