"""Housekeeping keeps the outbox to its window: delivered messages go after it, so erasure (which
scans the outbox under the write lock) only reads what is kept; pending and dead ones stay."""

from __future__ import annotations

from sqlalchemy import select, update

from rewards.services.employees import erase_employee
from scheduler.config import SchedulerConfig
from scheduler.jobs import JobContext, housekeeping
from storage.delivery.outbox_admin import DELIVERED_KEPT
from storage.schema.core import OutboxRow
from tests.factories import employee, fund_wallet


def statuses(store) -> list[tuple[str, str]]:
    with store.reader() as uow:
        return list(uow.session.execute(select(OutboxRow.topic, OutboxRow.status).order_by(OutboxRow.id)))


def test_housekeeping_purges_delivered_messages_after_the_window_and_keeps_the_rest(store):
    ana = employee(store)
    for _ in range(3):
        fund_wallet(store, ana, 10)  # an award.issued each (Slack row only: no subscription)
    with store.uow() as uow:
        first, second, third = uow.session.scalars(select(OutboxRow.id).order_by(OutboxRow.id))
        uow.session.execute(update(OutboxRow).where(OutboxRow.id == first).values(status="delivered"))
        uow.session.execute(update(OutboxRow).where(OutboxRow.id == second).values(status="dead"))
        uow.commit()
    store.clock.advance(seconds=DELIVERED_KEPT.total_seconds() + 60)
    fund_wallet(store, ana, 10)
    with store.uow() as uow:
        uow.session.execute(update(OutboxRow).where(OutboxRow.id > third).values(status="delivered"))
        uow.commit()

    housekeeping(JobContext(store=store, config=SchedulerConfig()))

    assert [status for _, status in statuses(store)] == ["dead", "pending", "delivered"]
    erase_employee(store.uow(), ana.id, store.clock)
    assert statuses(store) == [("employee.erased", "pending")]
