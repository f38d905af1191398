"""Read-only queries shared by the adapters: balances, history, leaderboards, recent kudos."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, or_, select

from rewards.model import EMPLOYEE_ACCOUNT_KINDS, Recognition, Redemption
from storage.ledger.repository import account_code
from storage.recognition.recognitions import recognition_of
from storage.schema.core import (
    AccountRow,
    CatalogItemRow,
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
    exists: bool = True  # False when `skip` went past the last entry


@dataclass(frozen=True)
class _Ref:
    """An entry before its details are loaded: which stream, when, and its row id."""

    kind: str
    at: datetime
    id: int


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


def activity_page(
    store: Store, employee_id: str, cursor: str | None = None, size: int = 10, skip: int = 0
) -> ActivityPage:
    """A person's kudos given and received and their redemptions, newest first, `size` at a time.

    Keyset-paged: each of the three streams is read through its index from where the cursor
    left it, ids and times only (at most `skip + size + 1` rows each); then the page's own
    entries are loaded in one query per table, so the number of statements is the same for
    every page. `skip` jumps over that many entries (a page number, bounded by the caller)."""
    at = _Position.decode(cursor)
    wanted = skip + size + 1
    with store.reader() as uow:
        session = uow.session
        streams = [
            _given(session, employee_id, at, wanted),
            _received(session, employee_id, at, wanted),
            _redeemed(session, employee_id, at, wanted),
        ]
        merged = _merge(streams, skip + size)
        page = merged[skip:]
        entries = _load(uow, page)
    more = sum(len(stream) for stream in streams) > skip + size
    shown = [e for e in entries if not e.taken_back]  # a reaction taken back was never given
    cursor_out = _advance(at, merged).encode() if more else None
    return ActivityPage(shown, cursor_out, exists=skip == 0 or bool(page))


def _given(session, employee_id: str, at: _Position, limit: int) -> list[_Ref]:
    query = select(RecognitionRow.id, RecognitionRow.created_at).where(RecognitionRow.giver_id == employee_id)
    if at.given_at is not None and at.given_id is not None:
        since = _from_micros(at.given_at)
        query = query.where(
            or_(
                RecognitionRow.created_at < since,
                and_(RecognitionRow.created_at == since, RecognitionRow.id < at.given_id),
            )
        )
    rows = session.execute(
        query.order_by(RecognitionRow.created_at.desc(), RecognitionRow.id.desc()).limit(limit)
    )
    return [_Ref("gave", created_at, rid) for rid, created_at in rows]


def _received(session, employee_id: str, at: _Position, limit: int) -> list[_Ref]:
    query = (
        select(RecognitionRecipientRow.recognition_id, RecognitionRow.created_at)
        .join(RecognitionRow, RecognitionRow.id == RecognitionRecipientRow.recognition_id)
        .where(RecognitionRecipientRow.employee_id == employee_id)
    )
    if at.received_id is not None:
        query = query.where(RecognitionRecipientRow.recognition_id < at.received_id)
    rows = session.execute(query.order_by(RecognitionRecipientRow.recognition_id.desc()).limit(limit))
    return [_Ref("received", created_at, rid) for rid, created_at in rows]


def _redeemed(session, employee_id: str, at: _Position, limit: int) -> list[_Ref]:
    query = select(RedemptionRow.id, RedemptionRow.created_at).where(RedemptionRow.employee_id == employee_id)
    if at.redemption_id is not None:
        query = query.where(RedemptionRow.id < at.redemption_id)
    rows = session.execute(query.order_by(RedemptionRow.id.desc()).limit(limit))
    return [_Ref("redeemed", created_at, rid) for rid, created_at in rows]


def _merge(streams: list[list[_Ref]], size: int) -> list[_Ref]:
    """The newest `size` entries of streams that are each newest first, each taken in its order
    (so what a page shows of a stream is a prefix, and the cursor can resume after it)."""
    heads = [0] * len(streams)
    merged: list[_Ref] = []
    while len(merged) < size:
        live = [i for i, stream in enumerate(streams) if heads[i] < len(stream)]
        if not live:
            break
        pick = max(live, key=lambda i: (_aware(streams[i][heads[i]].at), -i))
        merged.append(streams[pick][heads[pick]])
        heads[pick] += 1
    return merged


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _load(uow, refs: list[_Ref]) -> list[ActivityEntry]:
    """The page's entries, each table read once for all of them."""
    session = uow.session
    recognition_ids = sorted({r.id for r in refs if r.kind != "redeemed"})
    redemption_ids = sorted({r.id for r in refs if r.kind == "redeemed"})
    recognitions: dict[int, Recognition] = {}
    taken_back: set[int] = set()
    if recognition_ids:
        recipients: dict[int, list[str]] = {}
        for rid, employee in session.execute(
            select(RecognitionRecipientRow.recognition_id, RecognitionRecipientRow.employee_id)
            .where(RecognitionRecipientRow.recognition_id.in_(recognition_ids))
            .order_by(RecognitionRecipientRow.recognition_id)
        ):
            recipients.setdefault(rid, []).append(employee)
        for row in session.scalars(select(RecognitionRow).where(RecognitionRow.id.in_(recognition_ids))):
            recognitions[row.id] = recognition_of(row, recipients.get(row.id, []))
        taken_back = set(
            session.scalars(REVERSED_REACTIONS.where(ReactionKudosRow.recognition_id.in_(recognition_ids)))
        )
    redemptions: dict[int, Redemption] = {}
    items: dict[int, str] = {}
    if redemption_ids:
        rows = session.connection().execute(
            select(RedemptionRow.__table__).where(RedemptionRow.id.in_(redemption_ids))
        )
        redemptions = {row.id: uow.redemptions.to_domain(row) for row in rows}
        item_ids = sorted({r.item_id for r in redemptions.values()})
        items = dict(
            session.execute(
                select(CatalogItemRow.id, CatalogItemRow.name).where(CatalogItemRow.id.in_(item_ids))
            ).all()
        )
    entries: list[ActivityEntry] = []
    for ref in refs:
        if ref.kind == "redeemed":
            found = redemptions.get(ref.id)
            if found is not None:
                entries.append(
                    ActivityEntry(
                        "redeemed", found.created_at, redemption=found, item_name=items.get(found.item_id)
                    )
                )
            continue
        recognition = recognitions.get(ref.id)
        if recognition is not None:
            entries.append(
                ActivityEntry(
                    ref.kind, recognition.created_at, recognition=recognition, taken_back=ref.id in taken_back
                )
            )
    return entries


def _advance(at: _Position, refs: list[_Ref]) -> _Position:
    """The position after `refs`: each stream moves to the oldest of its entries passed."""
    given = [r for r in refs if r.kind == "gave"]
    received = [r.id for r in refs if r.kind == "received"]
    redeemed = [r.id for r in refs if r.kind == "redeemed"]
    return _Position(
        given_at=_micros(_aware(given[-1].at)) if given else at.given_at,
        given_id=given[-1].id if given else at.given_id,
        received_id=received[-1] if received else at.received_id,
        redemption_id=redeemed[-1] if redeemed else at.redemption_id,
    )


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _from_micros(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)
