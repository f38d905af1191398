"""Read-only queries shared by the adapters: balances, history, leaderboards, recent kudos."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_, select, union_all

from rewards.model import EMPLOYEE_ACCOUNT_KINDS, Recognition, Redemption
from storage.ledger.repository import account_code
from storage.recognition.reactions import TAKEN_BACK
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


def balances(store: Store, employee_id: str) -> Balances:
    codes = {account_code(employee_id, k): k.value for k in EMPLOYEE_ACCOUNT_KINDS}
    with store.reader() as uow:
        rows = uow.session.execute(
            select(AccountRow.code, AccountRow.balance).where(AccountRow.code.in_(codes))
        ).all()
    found = {codes[code]: balance for code, balance in rows}
    return Balances(found.get("allowance", 0), found.get("wallet", 0), found.get("held", 0))


def history(store: Store, employee_id: str, limit: int = 10) -> list[HistoryEntry]:
    """The employee's most recent ledger movements, newest first.

    Each of the person's accounts gives its newest `limit` postings from the index on
    (account_id, transaction_id), and the newest `limit` of those are the answer: at most
    3 × `limit` rows read, whatever the length of the history."""
    with store.reader() as uow:
        session = uow.session
        accounts = dict(
            session.execute(
                select(AccountRow.id, AccountRow.kind).where(AccountRow.owner_id == employee_id)
            ).all()
        )
        newest = [
            select(PostingRow.id, PostingRow.transaction_id, PostingRow.account_id, PostingRow.amount)
            .where(PostingRow.account_id == account_id)
            .order_by(PostingRow.transaction_id.desc(), PostingRow.id)
            .limit(limit)
            .subquery()
            for account_id in sorted(accounts)
        ]
        if not newest:
            return []
        postings = list(session.execute(union_all(*(select(part) for part in newest))).all())
        postings.sort(key=lambda p: (-p.transaction_id, p.id))
        chosen = postings[:limit]
        transactions = {
            row.id: row
            for row in session.execute(
                select(
                    TransactionRow.id,
                    TransactionRow.kind,
                    TransactionRow.memo,
                    TransactionRow.reference,
                    TransactionRow.created_at,
                ).where(TransactionRow.id.in_(sorted({p.transaction_id for p in chosen})))
            )
        }
    return [
        HistoryEntry(
            p.transaction_id,
            transactions[p.transaction_id].kind,
            accounts[p.account_id],
            p.amount,
            transactions[p.transaction_id].memo,
            transactions[p.transaction_id].reference,
            transactions[p.transaction_id].created_at,
        )
        for p in chosen
    ]


def recent_recognitions(
    store: Store, employee_id: str, *, given: bool = False, limit: int = 5
) -> list[Recognition]:
    """Recognitions the employee received (or gave), newest first: `limit` entries of one index."""
    if given:  # (giver_id, created_at): newest first by time, as App Home shows gives
        ids = (
            select(RecognitionRow.id)
            .where(RecognitionRow.giver_id == employee_id)
            .order_by(RecognitionRow.created_at.desc(), RecognitionRow.id.desc())
        )
    else:  # (employee_id, recognition_id)
        ids = (
            select(RecognitionRecipientRow.recognition_id)
            .where(RecognitionRecipientRow.employee_id == employee_id)
            .order_by(RecognitionRecipientRow.recognition_id.desc())
        )
    with store.reader() as uow:
        chosen = uow.session.scalars(ids.limit(limit)).all()
        found = (uow.recognitions.get(rid) for rid in chosen)  # one transaction: every id is found
        return [recognition for recognition in found if recognition is not None]


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
            session.scalars(TAKEN_BACK.where(ReactionKudosRow.recognition_id.in_(recognition_ids)))
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
