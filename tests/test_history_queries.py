"""A page of a person's history costs the same few statements however full it is and however far back."""

from __future__ import annotations

import logging
from contextlib import contextmanager

from sqlalchemy import event

from rewards.model import CatalogItem
from rewards.policy import RecognitionPolicy, RedemptionPolicy
from rewards.services.catalog import add_item
from rewards.services.recognition import GiveRecognition, give_recognition
from rewards.services.redemptions import request_redemption
from storage.reads import activity
from tests.factories import employee, fund_wallet, give_allowance

POLICY = RecognitionPolicy(max_points=50, daily_cap_per_recipient=10_000)


@contextmanager
def counted(store, caplog):
    """Every statement run: through SQLAlchemy's cursor, and those storage runs on the driver."""
    seen: list[str] = []

    def _count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(store.engine, "before_cursor_execute", _count)
    caplog.clear()
    try:
        with caplog.at_level(logging.INFO, logger="sqlalchemy.engine"):
            yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", _count)
        seen.extend(r.getMessage() for r in caplog.records if "[on the driver]" in r.getMessage())


def _world(store, entries: int):
    ana, ben = employee(store), employee(store)
    give_allowance(store, ana, 10_000)
    give_allowance(store, ben, 10_000)
    fund_wallet(store, ana, 10_000)
    items = [
        add_item(store.uow(), CatalogItem(id=0, name=f"Gift {n}", points_cost=1), store.clock)
        for n in range(3)
    ]
    for n in range(entries):
        store.clock.advance(seconds=1)
        if n % 3 == 0:
            giver, to = ana, ben
        elif n % 3 == 1:
            giver, to = ben, ana
        else:
            request_redemption(
                store.uow(), ana.id, items[n % 3].id, f"r-{ana.id}-{n}", RedemptionPolicy(), store.clock
            )
            continue
        command = GiveRecognition(giver.id, [to.id], 1, f"thanks {n}", idempotency_key=f"k-{ana.id}-{n}")
        give_recognition(store.uow(), command, POLICY, store.clock)
    return ana


def _statements(store, caplog, employee_id, skip):
    with counted(store, caplog) as seen:
        page = activity.activity_page(store, employee_id, size=10, skip=skip)
    return len(seen), page


def test_a_history_page_runs_the_same_statements_whatever_its_size_and_number(store, caplog):
    few = _world(store, 3)
    many = _world(store, 60)
    small, small_page = _statements(store, caplog, few.id, 0)
    full, full_page = _statements(store, caplog, many.id, 0)
    deep, deep_page = _statements(store, caplog, many.id, 40)
    assert len(small_page.entries) == 3 and len(full_page.entries) == 10 and len(deep_page.entries) == 10
    assert {e.kind for e in full_page.entries} == {"gave", "received", "redeemed"}
    assert small == full == deep
    assert full <= 12


def test_skipping_lands_on_the_page_the_cursors_walk_to(store):
    ana = _world(store, 35)
    walked = activity.activity_page(store, ana.id, size=10)
    for _ in range(2):
        walked = activity.activity_page(store, ana.id, walked.next_cursor, size=10)
    jumped = activity.activity_page(store, ana.id, size=10, skip=20)
    assert [(e.kind, e.at) for e in jumped.entries] == [(e.kind, e.at) for e in walked.entries]
    assert jumped.next_cursor == walked.next_cursor
    assert not activity.activity_page(store, ana.id, size=10, skip=40).exists
