"""Read-only queries shared by the adapters: balances, history, leaderboards, recent kudos."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from rewards.model import EMPLOYEE_ACCOUNT_KINDS, Recognition
from storage.ledger.repository import account_code
from storage.schema.core import (
    AccountRow,
    PostingRow,
    RecognitionRecipientRow,
    RecognitionRow,
    TransactionRow,
)
from storage.schema.reactions import ReactionKudosRow
from storage.store import Store


@dataclass(frozen=True)
class Balances:
    allowance: int
    wallet: int
    held: int


@dataclass(frozen=True)
class HistoryEntry:
    transaction_id: int
    kind: str
    account_kind: str
    amount: int
    memo: str | None
    reference: str | None
    created_at: datetime


@dataclass(frozen=True)
class LeaderboardRow:
    employee_id: str
    points: int
    recognitions: int


def balances(store: Store, employee_id: str) -> Balances:
    codes = {account_code(employee_id, k): k.value for k in EMPLOYEE_ACCOUNT_KINDS}
    with store.reader() as uow:
        rows = uow.session.execute(
            select(AccountRow.code, AccountRow.balance).where(AccountRow.code.in_(codes))
        ).all()
    found = {codes[code]: balance for code, balance in rows}
    return Balances(found.get("allowance", 0), found.get("wallet", 0), found.get("held", 0))


def history(store: Store, employee_id: str, limit: int = 10) -> list[HistoryEntry]:
    """The employee's most recent ledger movements, newest first."""
    query = (
        select(
            TransactionRow.id,
            TransactionRow.kind,
            AccountRow.kind,
            PostingRow.amount,
            TransactionRow.memo,
            TransactionRow.reference,
            TransactionRow.created_at,
        )
        .join(PostingRow, PostingRow.transaction_id == TransactionRow.id)
        .join(AccountRow, AccountRow.id == PostingRow.account_id)
        .where(AccountRow.owner_id == employee_id)
        .order_by(TransactionRow.id.desc(), PostingRow.id)
        .limit(limit)
    )
    with store.reader() as uow:
        return [HistoryEntry(*row) for row in uow.session.execute(query)]


def leaderboard(
    store: Store, since: datetime | None = None, value: str | None = None, limit: int = 10
) -> list[LeaderboardRow]:
    """Who received the most recognition points (since a time, for a value); reaction kudos
    that were taken back do not count."""
    points = func.sum(RecognitionRow.points_each).label("points")
    query = (
        select(RecognitionRecipientRow.employee_id, points, func.count().label("n"))
        .join(RecognitionRow, RecognitionRow.id == RecognitionRecipientRow.recognition_id)
        .where(RecognitionRow.id.not_in(REVERSED_REACTIONS))
        .group_by(RecognitionRecipientRow.employee_id)
        .order_by(points.desc(), RecognitionRecipientRow.employee_id)
        .limit(limit)
    )
    if since is not None:
        query = query.where(RecognitionRow.created_at >= since)
    if value is not None:
        query = query.where(RecognitionRow.value == value)
    with store.reader() as uow:
        return [LeaderboardRow(e, int(p), int(n)) for e, p, n in uow.session.execute(query)]


REVERSED_REACTIONS = select(ReactionKudosRow.recognition_id).where(ReactionKudosRow.reversed_at.is_not(None))


def recent_recognitions(
    store: Store, employee_id: str, *, given: bool = False, limit: int = 5
) -> list[Recognition]:
    """Recognitions the employee received (or gave), newest first."""
    if given:
        ids = select(RecognitionRow.id).where(RecognitionRow.giver_id == employee_id)
    else:
        ids = select(RecognitionRecipientRow.recognition_id).where(
            RecognitionRecipientRow.employee_id == employee_id
        )
    with store.reader() as uow:
        chosen = uow.session.scalars(
            select(RecognitionRow.id)
            .where(RecognitionRow.id.in_(ids))
            .order_by(RecognitionRow.id.desc())
            .limit(limit)
        ).all()
        found = (uow.recognitions.get(rid) for rid in chosen)  # one transaction: every id is found
        return [recognition for recognition in found if recognition is not None]


def received_count(store: Store, employee_id: str) -> int:
    with store.reader() as uow:
        return (
            uow.session.scalar(
                select(func.count())
                .select_from(RecognitionRecipientRow)
                .where(RecognitionRecipientRow.employee_id == employee_id)
            )
            or 0
        )
