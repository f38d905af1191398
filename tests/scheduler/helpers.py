"""Shared helpers for the scheduler tests."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from rewards.services.milestones import SweepOptions, sweep_milestones
from storage.scheduling.unit_of_work import scheduler_reader, scheduler_uow
from storage.schema.core import TransactionRow
from storage.store import Store


def sweep(store: Store, window_days: int = 7, channel: str | None = "C0CELEBRATE"):
    options = SweepOptions(
        org_timezone="UTC", window=timedelta(days=window_days), celebration_channel=channel
    )
    return sweep_milestones(scheduler_uow(store), store.clock, options, scheduler_reader(store))


def milestone_transactions(store: Store):
    """(idempotency_key, created_at) of every milestone award, oldest first."""
    with store.reader() as uow:
        return list(
            uow.session.execute(
                select(TransactionRow.idempotency_key, TransactionRow.created_at)
                .where(TransactionRow.kind == "milestone")
                .order_by(TransactionRow.id)
            )
        )


def keys_by_employee(store: Store) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for txn in milestone_transactions(store):
        found.setdefault(txn.idempotency_key.split(":")[1], []).append(txn.idempotency_key)
    return found
