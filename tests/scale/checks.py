"""What the scale-out tests check in the database after the load: the ledger and the outbox."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import Engine, func, select

from storage.schema.core import AccountRow, OutboxRow, PostingRow, TransactionRow
from tests.scale.load import Outcome


def ledger_counts(engine: Engine, keys: list[str]) -> Counter:
    """How many ledger transactions carry each of `keys`."""
    found: Counter = Counter()
    with engine.connect() as conn:
        for start in range(0, len(keys), 1000):
            chunk = keys[start : start + 1000]
            found.update(
                conn.execute(
                    select(TransactionRow.idempotency_key).where(TransactionRow.idempotency_key.in_(chunk))
                ).scalars()
            )
    return found


def misrecorded(engine: Engine, outcomes: list[Outcome]) -> list[str]:
    """Each accepted request not in the ledger exactly once, each refused one that is in it."""
    counts = ledger_counts(engine, [o.key for o in outcomes])
    wrong = [
        f"accepted {o.kind} {o.key} is in the ledger {counts[o.key]} times"
        for o in outcomes
        if o.accepted and counts[o.key] != 1
    ]
    return wrong + [
        f"refused {o.kind} {o.key} (status {o.status}) is in the ledger"
        for o in outcomes
        if o.accepted is False and counts[o.key]
    ]


def allowance_grants_per_account(engine: Engine) -> Counter:
    """Allowance grants received by each allowance account (the test runs within one period)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(PostingRow.account_id, func.count())
            .join(TransactionRow, TransactionRow.id == PostingRow.transaction_id)
            .join(AccountRow, AccountRow.id == PostingRow.account_id)
            .where(TransactionRow.kind == "allowance.grant", AccountRow.kind == "allowance")
            .group_by(PostingRow.account_id)
        ).all()
    return Counter(dict(rows))


def milestone_occurrences(engine: Engine) -> Counter:
    """Milestone awards per (employee, rule, year of the occurrence) — keys are
    `milestone:<employee>:<rule>:<date or n<threshold>>`."""
    with engine.connect() as conn:
        keys = (
            conn.execute(select(TransactionRow.idempotency_key).where(TransactionRow.kind == "milestone"))
            .scalars()
            .all()
        )
    return Counter(tuple(key.split(":")[1:3]) + (key.split(":")[3][:4],) for key in keys)


def outbox_by_status(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(conn.execute(select(OutboxRow.status, func.count()).group_by(OutboxRow.status)).all())
