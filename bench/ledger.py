"""Ledger throughput: recognitions and redemptions through the real services, beside raw inserts.

Run: python -m bench.ledger [--n 2000] [--postgres]   (PostgreSQL from PLAUDIT_TEST_POSTGRES_URL)
"""

from __future__ import annotations

import argparse
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Column, Integer, MetaData, String, Table, insert

from bench.common import fresh_database, open_store, postgres_base_url, print_table, rate
from rewards.model import CatalogItem
from rewards.policy import RecognitionPolicy, RedemptionPolicy
from rewards.services.allowance import grant_allowance
from rewards.services.awards import IssueAward, issue_award
from rewards.services.catalog import add_item
from rewards.services.employees import upsert_employee
from rewards.services.recognition import GiveRecognition, give_recognition
from rewards.services.redemptions import request_redemption

POLICY = RecognitionPolicy(max_points=10, daily_cap_per_recipient=10**9)


def raw_insert_rate(store, n: int, threads: int) -> float:
    """Baseline: one-row INSERT + COMMIT, the cheapest durable write the database can do."""
    table = Table(
        "bench_raw", MetaData(), Column("id", Integer, primary_key=True), Column("note", String(40))
    )
    table.create(store.engine)

    def one(i: int) -> None:
        with store.engine.begin() as conn:
            conn.execute(insert(table).values(note=f"row {i}"))

    return rate(n, lambda: list(ThreadPoolExecutor(threads).map(one, range(n))))


def recognition_rate(store, n: int, threads: int) -> float:
    people = [
        upsert_employee(store.uow(), f"b{i}", {"email": f"b{i}@example.com"}, store.clock)[0]
        for i in range(2 * threads)
    ]
    for person in people:
        grant_allowance(store.uow(), person.id, 10**7, "bench", store.clock)

    def one(i: int) -> None:
        giver = people[i % len(people)]
        recipient = people[(i + 1) % len(people)]
        give_recognition(
            store.uow(),
            GiveRecognition(
                giver_id=giver.id,
                recipient_ids=[recipient.id],
                points=1,
                reason="thanks a lot",
                idempotency_key=f"bench-{i}",
            ),
            POLICY,
            store.clock,
        )

    return rate(n, lambda: list(ThreadPoolExecutor(threads).map(one, range(n))))


def redemption_rate(store, n: int, threads: int) -> float:
    people = [upsert_employee(store.uow(), f"r{i}", {}, store.clock)[0] for i in range(threads)]
    issue_award(
        store.uow(),
        IssueAward(employee_ids=[p.id for p in people], points=10**6, reason="bench", idempotency_key="fund"),
        store.clock,
    )
    item = add_item(store.uow(), CatalogItem(id=0, name="Sticker", points_cost=1), store.clock)
    policy = RedemptionPolicy(approval_threshold=None)

    def one(i: int) -> None:
        request_redemption(store.uow(), people[i % threads].id, item.id, f"red-{i}", policy, store.clock)

    return rate(n, lambda: list(ThreadPoolExecutor(threads).map(one, range(n))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--postgres", action="store_true", help="also measure PostgreSQL")
    args = parser.parse_args()
    backends = ["sqlite"] + (["postgres"] if args.postgres or postgres_base_url() else [])
    for backend in backends:
        with fresh_database(backend) as url:
            store = open_store(url)
            raw = raw_insert_rate(store, args.n, args.threads)
            gives = recognition_rate(store, args.n, args.threads)
            spends = redemption_rate(store, args.n, args.threads)
            store.close()
        print_table(
            f"{backend}: {args.n} operations, {args.threads} threads",
            [
                ("raw insert+commit/s", f"{raw:,.0f}", "baseline (same database, same threads)"),
                ("recognitions/s", f"{gives:,.0f}", f"{gives / raw:.0%} of raw"),
                ("redemptions/s", f"{spends:,.0f}", f"{spends / raw:.0%} of raw"),
            ],
        )


if __name__ == "__main__":
    main()
