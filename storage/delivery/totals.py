"""Delivery counts carried past the deletion of outbox messages and attempts, so /metrics never
goes backwards: whatever deletes them adds what it deleted here, in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, delete, select, text

from storage.schema.core import DeliveryTotalRow, OutboxAttemptRow, OutboxRow

DELIVERED = "delivered"  # outbox messages delivered
WEBHOOK_FAILURES = "webhook_failures"  # failed attempts of webhook messages

_ADD = text(
    "INSERT INTO delivery_totals (name, value) VALUES (:name, :amount)"
    " ON CONFLICT (name) DO UPDATE SET value = delivery_totals.value + excluded.value"
)


def carry(conn: Connection, name: str, amount: int) -> None:
    """Add `amount` to the carried total `name` (SQLite and PostgreSQL spell the upsert alike)."""
    if amount:
        conn.execute(_ADD, {"name": name, "amount": amount})


def carried(conn: Connection) -> dict[str, int]:
    """Every carried total (a handful of rows)."""
    return {
        name: int(value)
        for name, value in conn.execute(select(DeliveryTotalRow.name, DeliveryTotalRow.value))
    }


def forget_messages(conn: Connection, ids: Sequence[int]) -> None:
    """Delete these outbox messages and their attempts, carrying the delivered ones and their
    failed webhook attempts into the totals."""
    if not ids:
        return
    # Count only the rows this transaction deleted (RETURNING): a concurrent purge or erasure that
    # counted the same rows first deletes them, and ours then find none (READ COMMITTED re-checks).
    webhook = set(
        conn.scalars(select(OutboxRow.id).where(OutboxRow.id.in_(ids), OutboxRow.channel == "webhook"))
    )  # a message's channel never changes
    attempts = conn.execute(
        delete(OutboxAttemptRow)
        .where(OutboxAttemptRow.outbox_id.in_(ids))
        .returning(OutboxAttemptRow.outbox_id, OutboxAttemptRow.succeeded)
    ).all()
    statuses = conn.scalars(delete(OutboxRow).where(OutboxRow.id.in_(ids)).returning(OutboxRow.status))
    carry(conn, DELIVERED, sum(1 for status in statuses if status == "delivered"))
    carry(conn, WEBHOOK_FAILURES, sum(1 for a in attempts if not a.succeeded and a.outbox_id in webhook))


def forget_failed_attempts(conn: Connection, before: datetime, batch: int) -> int:
    """Delete up to `batch` failed attempts made before `before` (of messages still kept: pending or
    dead), carrying the webhook ones; returns how many this transaction deleted."""
    rows = conn.execute(
        select(OutboxAttemptRow.id, OutboxRow.channel)
        .join(OutboxRow, OutboxRow.id == OutboxAttemptRow.outbox_id)
        .where(OutboxAttemptRow.succeeded.is_(False), OutboxAttemptRow.attempted_at < before)
        .limit(batch)
    ).all()
    if not rows:
        return 0
    deleted = set(
        conn.scalars(
            delete(OutboxAttemptRow)
            .where(OutboxAttemptRow.id.in_([r.id for r in rows]))
            .returning(OutboxAttemptRow.id)
        )
    )  # another purger may have deleted (and counted) some of them since the select
    carry(conn, WEBHOOK_FAILURES, sum(1 for r in rows if r.id in deleted and r.channel == "webhook"))
    return len(deleted)
