"""The listings and the history read through indexes give exactly what a full read gives.

Every filter of the transaction and recognition listings, walked page by page with the cursor,
equals the same filter applied in Python to every row; so does a person's latest ledger
movements. The clock goes back now and then, so ids and times disagree (a date bound must
still be exact), and a department is read both ways (from its members and by walking ids).
"""

from __future__ import annotations

import random
from datetime import UTC, timedelta

import pytest
from sqlalchemy import event, select

from rewards.model import CatalogItem
from rewards.policy import RecognitionPolicy, RedemptionPolicy
from rewards.services.catalog import add_item
from rewards.services.recognition import GiveRecognition, give_recognition
from rewards.services.redemptions import request_redemption
from storage.reads import activity, listings, reports
from storage.schema.core import (
    AccountRow,
    EmployeeRow,
    PostingRow,
    RecognitionRecipientRow,
    RecognitionRow,
    TransactionRow,
)
from tests.factories import employee, fund_wallet, give_allowance

DEPARTMENTS = ["Support", "Support", "Support", "Sales", "Sales", "Legal"]
VALUES = ["teamwork", "ownership", None]


@pytest.fixture
def history(store):
    """Six people in three departments, ~60 gives (some to several people), awards and redemptions."""
    rng = random.Random(11)
    people = [employee(store, department=d) for d in DEPARTMENTS]
    for person in people:
        give_allowance(store, person, 5000)
        fund_wallet(store, person, 300)
    item = add_item(store.uow(), CatalogItem(id=0, name="Mug", points_cost=20), store.clock)
    for n in range(60):
        # Mostly forward, sometimes back: ids and times disagree, as concurrent writers make them.
        store.clock.advance(hours=rng.choice([3, 5, 7, -4]))
        giver = rng.choice(people)
        others = [p for p in people if p.id != giver.id]
        if n % 9 == 4:
            request_redemption(
                store.uow(), giver.id, item.id, f"keyset-r{n}", RedemptionPolicy(), store.clock
            )
            continue
        give_recognition(
            store.uow(),
            GiveRecognition(
                giver_id=giver.id,
                recipient_ids=[p.id for p in rng.sample(others, rng.choice([1, 1, 2, 3]))],
                points=rng.randint(1, 5),
                reason="well done",
                value=rng.choice(VALUES),
                idempotency_key=f"keyset-{n}",
            ),
            RecognitionPolicy(),
            store.clock,
        )
    return people


def everything(store):
    """Every transaction (id, kind, time, owners) and recognition (id, time, value, departments)."""
    with store.reader() as uow:
        s = uow.session
        owners: dict[int, set] = {}
        for txn, owner in s.execute(
            select(PostingRow.transaction_id, AccountRow.owner_id).join(
                AccountRow, AccountRow.id == PostingRow.account_id
            )
        ):
            owners.setdefault(txn, set()).add(owner)
        transactions = [
            (i, kind, _utc(at), owners.get(i, set()))
            for i, kind, at in s.execute(
                select(TransactionRow.id, TransactionRow.kind, TransactionRow.created_at)
            )
        ]
        departments: dict[int, set] = {}
        for rid, dept in s.execute(
            select(RecognitionRecipientRow.recognition_id, EmployeeRow.department).join(
                EmployeeRow, EmployeeRow.id == RecognitionRecipientRow.employee_id
            )
        ):
            departments.setdefault(rid, set()).add(dept)
        recognitions = [
            (i, _utc(at), value, departments.get(i, set()))
            for i, at, value in s.execute(
                select(RecognitionRow.id, RecognitionRow.created_at, RecognitionRow.value)
            )
        ]
    return sorted(transactions), sorted(recognitions)


def _utc(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def walk(page_of, limit: int) -> list[int]:
    """Every id a listing gives, following its cursor page by page."""
    ids: list[int] = []
    after = None
    while True:
        found = page_of(after)
        ids += [i for i in found[:limit]]
        if len(found) <= limit:
            return ids
        after = found[limit - 1]


def test_transaction_listings_equal_a_full_read(store, history):
    transactions, _ = everything(store)
    times = sorted(at for _, _, at, _ in transactions)
    rng = random.Random(5)
    people = [p.id for p in history]
    kinds = sorted({k for _, k, _, _ in transactions})
    assert len(kinds) >= 4  # grants, awards, recognitions, redemptions
    for _ in range(40):
        employee_id = rng.choice([None, *people])
        kind = rng.choice([None, *kinds])
        since = rng.choice([None, *times])
        until = rng.choice([None, *times])
        limit = rng.choice([1, 3, 7])
        expected = [
            i
            for i, k, at, owners in transactions
            if (employee_id is None or employee_id in owners)
            and (kind is None or k == kind)
            and (since is None or at >= since)
            and (until is None or at < until)
        ]

        carried: dict[str, int | None] = {}  # what the API's cursor carries besides the last id

        def page(
            after, employee_id=employee_id, kind=kind, since=since, until=until, limit=limit, carried=carried
        ):
            found = listings.transactions_page(
                store,
                after_id=after,
                employee_id=employee_id,
                kind=kind,
                since=since,
                until=until,
                limit=limit,
                high=carried.get("high") if after is not None else None,
            )
            carried["high"] = found.high
            return [t.id for t in found.rows]

        assert walk(page, limit) == expected, (employee_id, kind, since, until, limit)


@pytest.mark.parametrize("member_streams", [100, 1], ids=["from members", "walking ids"])
def test_recognition_listings_equal_a_full_read(store, history, monkeypatch, member_streams):
    monkeypatch.setattr(listings, "MEMBER_STREAMS", member_streams)
    _, recognitions = everything(store)
    times = sorted(at for _, at, _, _ in recognitions)
    rng = random.Random(7)
    for _ in range(40):
        department = rng.choice([None, "Support", "Sales", "Legal", "Nowhere"])
        value = rng.choice(VALUES)
        since = rng.choice([None, *times])
        limit = rng.choice([1, 4, 9])
        expected = [
            i
            for i, at, v, departments in recognitions
            if (department is None or department in departments)
            and (value is None or v == value)
            and (since is None or at >= since)
        ]

        def page(after, department=department, value=value, since=since, limit=limit):
            rows = reports.recognitions_page(
                store, after_id=after, since=since, value=value, department=department, limit=limit
            )
            return [r.id for r in rows]

        assert walk(page, limit) == expected, (department, value, since, limit)


def test_history_equals_the_newest_postings_of_a_full_read(store, history):
    for person in history:
        with store.reader() as uow:
            rows = uow.session.execute(
                select(PostingRow.transaction_id, PostingRow.id, AccountRow.kind, PostingRow.amount)
                .join(AccountRow, AccountRow.id == PostingRow.account_id)
                .where(AccountRow.owner_id == person.id)
            ).all()
        newest = sorted(rows, key=lambda r: (-r.transaction_id, r.id))
        for limit in (1, 5, 12, 500):
            found = activity.history(store, person.id, limit=limit)
            assert [(e.transaction_id, e.account_kind, e.amount) for e in found] == [
                (r.transaction_id, r.kind, r.amount) for r in newest[:limit]
            ]
    assert activity.history(store, "nobody", limit=5) == []


def test_a_date_bound_is_exact_when_ids_and_times_disagree(store, history):
    """The newest transaction is stamped before the others: `since` its time still finds all."""
    store.clock.advance(days=-30)
    give_allowance(store, history[0], 10, period="2026-02")
    transactions, _ = everything(store)
    oldest_stamp = min(at for _, _, at, _ in transactions)
    late = max(i for i, _, _, _ in transactions)
    found = listings.transactions_page(
        store, after_id=None, employee_id=None, kind=None, since=oldest_stamp, until=None, limit=1000
    ).rows
    assert [t.id for t in found] == [i for i, _, _, _ in transactions]
    earlier = listings.transactions_page(
        store,
        after_id=None,
        employee_id=None,
        kind=None,
        since=None,
        until=oldest_stamp + timedelta(seconds=1),
        limit=1000,
    ).rows
    assert late in [t.id for t in earlier]


def test_a_window_is_bounded_on_the_first_page_only(store, history):
    """With both dates, the first page reads the window's greatest id; later pages take it from
    the cursor instead of reading the window's index entries again, and still list it exactly."""
    transactions, _ = everything(store)
    times = sorted(at for _, _, at, _ in transactions)
    since, until = times[len(times) // 4], times[3 * len(times) // 4]
    inside = [i for i, _, at, _ in transactions if since <= at < until]
    statements: list[str] = []

    def listen(_conn, _cursor, statement, *_):
        statements.append(statement)

    def page(after_id, high):
        return listings.transactions_page(
            store,
            after_id=after_id,
            employee_id=None,
            kind=None,
            since=since,
            until=until,
            limit=5,
            high=high,
        )

    first = page(None, None)
    assert first.high == max(inside)
    ids = [t.id for t in first.rows[:5]]
    event.listen(store.engine, "before_cursor_execute", listen)
    try:
        after, high = ids[-1], first.high
        while True:
            found = page(after, high)
            assert found.high == high
            ids += [t.id for t in found.rows[:5]]
            if len(found.rows) <= 5:
                break
            after = found.rows[4].id
    finally:
        event.remove(store.engine, "before_cursor_execute", listen)
    assert ids == inside
    assert statements and not [s for s in statements if "max(" in s.lower()], statements
