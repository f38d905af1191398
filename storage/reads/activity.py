"""Read-only queries shared by the adapters: balances, history, leaderboards, recent kudos."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, or_, select

from rewards.model import EMPLOYEE_ACCOUNT_KINDS, Recognition, Redemption
from storage.ledger.repository import account_code
from storage.schema.core import (
    AccountRow,
    PostingRow,
    RecognitionRecipientRow,
    RecognitionRow,
    RedemptionRow,
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


@dataclass(frozen=True)
class ActivityEntry:
    """One thing that happened to a person: a kudos they gave or received, or a redemption."""

    kind: str  # "gave", "received" or "redeemed"
    at: datetime
    recognition: Recognition | None = None
    redemption: Redemption | None = None
    item_name: str | None = None
    taken_back: bool = False


@dataclass(frozen=True)
class ActivityPage:
    entries: list[ActivityEntry]
    next_cursor: str | None  # hand back to read the older entries; None on the last page


@dataclass(frozen=True)
class _Position:
    """Where each of the three streams stopped: the last given (time, id), received id, redemption id."""

    given_at: int | None = None  # microseconds since the epoch
    given_id: int | None = None
    received_id: int | None = None
    redemption_id: int | None = None

    def encode(self) -> str:
        return ".".join("" if v is None else str(v) for v in vars(self).values())

    @classmethod
    def decode(cls, cursor: str | None) -> _Position:
        if not cursor:
            return cls()
        parts = cursor.split(".")
        if len(parts) != 4 or not all(
            p == "" or (p.isascii() and p.isdigit() and len(p) <= 16) for p in parts
        ):
            raise ValueError("not an activity cursor")
        return cls(*(int(p) if p else None for p in parts))


def activity_page(store: Store, employee_id: str, cursor: str | None = None, size: int = 10) -> ActivityPage:
    """A person's kudos given and received and their redemptions, newest first, `size` at a time.

    Keyset-paged: each of the three streams is read through its index from where the cursor
    left it, at most `size + 1` rows each, so no page reads the whole history."""
    at = _Position.decode(cursor)
    with store.reader() as uow:
        session = uow.session
        given_query = select(RecognitionRow.id).where(RecognitionRow.giver_id == employee_id)
        if at.given_at is not None and at.given_id is not None:
            since = _from_micros(at.given_at)
            given_query = given_query.where(
                or_(
                    RecognitionRow.created_at < since,
                    and_(RecognitionRow.created_at == since, RecognitionRow.id < at.given_id),
                )
            )
        given_ids = session.scalars(
            given_query.order_by(RecognitionRow.created_at.desc(), RecognitionRow.id.desc()).limit(size + 1)
        ).all()
        received_query = select(RecognitionRecipientRow.recognition_id).where(
            RecognitionRecipientRow.employee_id == employee_id
        )
        if at.received_id is not None:
            received_query = received_query.where(RecognitionRecipientRow.recognition_id < at.received_id)
        received_ids = session.scalars(
            received_query.order_by(RecognitionRecipientRow.recognition_id.desc()).limit(size + 1)
        ).all()
        redemption_query = select(RedemptionRow.id).where(RedemptionRow.employee_id == employee_id)
        if at.redemption_id is not None:
            redemption_query = redemption_query.where(RedemptionRow.id < at.redemption_id)
        redemption_ids = session.scalars(
            redemption_query.order_by(RedemptionRow.id.desc()).limit(size + 1)
        ).all()
        taken_back = set(
            session.scalars(
                REVERSED_REACTIONS.where(ReactionKudosRow.recognition_id.in_([*given_ids, *received_ids]))
            )
        )
        streams = [
            [_recognition_entry(uow, "gave", rid, taken_back) for rid in given_ids],
            [_recognition_entry(uow, "received", rid, taken_back) for rid in received_ids],
            [_redemption_entry(uow, rid) for rid in redemption_ids],
        ]
    entries = _merge([[e for e in stream if e is not None] for stream in streams], size)
    more = sum(len(stream) for stream in streams) > size
    shown = [e for e in entries if not e.taken_back]  # a reaction taken back was never given
    return ActivityPage(shown, _advance(at, entries).encode() if more else None)


def _merge(streams: list[list[ActivityEntry]], size: int) -> list[ActivityEntry]:
    """The newest `size` entries of streams that are each newest first, each taken in its order
    (so what a page shows of a stream is a prefix, and the cursor can resume after it)."""
    heads = [0] * len(streams)
    merged: list[ActivityEntry] = []
    while len(merged) < size:
        live = [i for i, stream in enumerate(streams) if heads[i] < len(stream)]
        if not live:
            break
        pick = max(live, key=lambda i: (streams[i][heads[i]].at, -i))
        merged.append(streams[pick][heads[pick]])
        heads[pick] += 1
    return merged


def _recognition_entry(uow, kind: str, recognition_id: int, taken_back: set[int]) -> ActivityEntry | None:
    found = uow.recognitions.get(recognition_id)
    if found is None:
        return None
    return ActivityEntry(kind, found.created_at, recognition=found, taken_back=recognition_id in taken_back)


def _redemption_entry(uow, redemption_id: int) -> ActivityEntry | None:
    found = uow.redemptions.get(redemption_id)
    if found is None:
        return None
    item = uow.catalog.get(found.item_id)
    return ActivityEntry(
        "redeemed", found.created_at, redemption=found, item_name=item.name if item else None
    )


def _advance(at: _Position, entries: list[ActivityEntry]) -> _Position:
    """The position after `entries`: each stream moves to the oldest of its entries shown."""
    given = [e.recognition for e in entries if e.kind == "gave" and e.recognition]
    received = [e.recognition.id for e in entries if e.kind == "received" and e.recognition]
    redeemed = [e.redemption.id for e in entries if e.redemption]
    return _Position(
        given_at=_micros(given[-1].created_at) if given else at.given_at,
        given_id=given[-1].id if given else at.given_id,
        received_id=received[-1] if received else at.received_id,
        redemption_id=redeemed[-1] if redeemed else at.redemption_id,
    )


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _from_micros(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)
