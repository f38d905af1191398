"""Ledger verification: every invariant checked against the database, each violation named."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, String, case, cast, func, literal, select

from storage.database.engine import read_only
from storage.schema.core import AccountRow, PostingRow, RedemptionRow, TransactionRow


@dataclass(frozen=True)
class Violation:
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.detail}"


def verify_ledger(engine: Engine) -> list[Violation]:
    """Check every ledger invariant in one read-only snapshot; an empty list means all hold."""
    with read_only(engine).connect() as conn, conn.begin():
        return [
            *_unbalanced_transactions(conn),
            *_zero_or_orphan_postings(conn),
            *_cached_balances(conn),
            *_negative_accounts(conn),
            *_redemption_holds(conn),
        ]


def _unbalanced_transactions(conn) -> list[Violation]:
    rows = conn.execute(
        select(PostingRow.transaction_id, func.sum(PostingRow.amount))
        .group_by(PostingRow.transaction_id)
        .having(func.sum(PostingRow.amount) != 0)
    ).all()
    return [
        Violation("unbalanced transaction", f"transaction {tid} postings sum to {total}, not 0")
        for tid, total in rows
    ]


def _zero_or_orphan_postings(conn) -> list[Violation]:
    zero = conn.execute(select(PostingRow.id, PostingRow.transaction_id).where(PostingRow.amount == 0)).all()
    orphans = (
        conn.execute(
            select(PostingRow.id)
            .outerjoin(TransactionRow, TransactionRow.id == PostingRow.transaction_id)
            .where(TransactionRow.id.is_(None))
        )
        .scalars()
        .all()
    )
    return [
        Violation("zero posting", f"posting {pid} of transaction {tid} moves 0 points") for pid, tid in zero
    ] + [Violation("orphan posting", f"posting {pid} belongs to no transaction") for pid in orphans]


def _posted_sums():
    return (
        select(PostingRow.account_id, func.sum(PostingRow.amount).label("total"))
        .group_by(PostingRow.account_id)
        .subquery()
    )


def _cached_balances(conn) -> list[Violation]:
    sums = _posted_sums()
    posted = func.coalesce(sums.c.total, 0)
    rows = conn.execute(
        select(AccountRow.id, AccountRow.code, AccountRow.balance, posted)
        .outerjoin(sums, sums.c.account_id == AccountRow.id)
        .where(AccountRow.owner_id.is_not(None), AccountRow.balance != posted)
    ).all()
    return [
        Violation(
            "cached balance differs",
            f"account {aid} ({code}) caches {cached} but its postings sum to {total}",
        )
        for aid, code, cached, total in rows
    ]


def _negative_accounts(conn) -> list[Violation]:
    sums = _posted_sums()
    rows = conn.execute(
        select(AccountRow.id, AccountRow.code, sums.c.total)
        .join(sums, sums.c.account_id == AccountRow.id)
        .where(AccountRow.owner_id.is_not(None), sums.c.total < 0)
    ).all()
    return [
        Violation("negative employee account", f"account {aid} ({code}) holds {total}")
        for aid, code, total in rows
    ]


def _redemption_holds(conn) -> list[Violation]:
    """Each redemption holds its points while requested and nothing in any other state."""
    held = (
        select(TransactionRow.reference, func.sum(PostingRow.amount).label("held"))
        .join(PostingRow, PostingRow.transaction_id == TransactionRow.id)
        .join(AccountRow, AccountRow.id == PostingRow.account_id)
        .where(AccountRow.kind == "held", TransactionRow.reference.like("redemption:%"))
        .group_by(TransactionRow.reference)
        .subquery()
    )
    reference = literal("redemption:", String) + cast(RedemptionRow.id, String)
    expected = case((RedemptionRow.state == "requested", RedemptionRow.points), else_=0)
    actual = func.coalesce(held.c.held, 0)
    rows = conn.execute(
        select(RedemptionRow.id, RedemptionRow.state, expected, actual)
        .outerjoin(held, held.c.reference == reference)
        .where(expected != actual)
    ).all()
    return [
        Violation(
            "redemption hold mismatch",
            f"redemption {rid} is {state} and should hold {want} points, holds {got}",
        )
        for rid, state, want, got in rows
    ]
