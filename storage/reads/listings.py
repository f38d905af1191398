"""Read-only queries behind the HTTP API's lists: employees, ids, transactions, redemptions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, Table, and_, exists, func, literal, or_, select, union_all

from rewards.model import CatalogItem, Employee, Recognition, Redemption
from storage.catalog.items import to_domain as catalog_to_domain
from storage.database.bulk import among
from storage.database.engine import read_only
from storage.recognition.recognitions import recognition_of
from storage.schema.core import (
    AccountRow,
    CatalogItemRow,
    EmployeeRow,
    PostingRow,
    RecognitionRecipientRow,
    RecognitionRow,
    RedemptionRow,
    TransactionRow,
)
from storage.store import Store


def ids_for_external(store: Store, external_ids: Iterable[str]) -> dict[str, str]:
    """Plaudit ids of the employees with these HR ids (unknown ones are left out)."""
    wanted = list(dict.fromkeys(external_ids))
    found: dict[str, str] = {}
    with read_only(store.engine).connect() as conn:
        for start in range(0, len(wanted), 5000):
            chunk = wanted[start : start + 5000]
            rows = conn.execute(
                select(EmployeeRow.external_id, EmployeeRow.id).where(
                    among(conn, EmployeeRow.external_id, chunk)
                )
            )
            # Matched by HR id, so never NULL; the check tells the type checker so.
            found.update((external, plaudit_id) for external, plaudit_id in rows if external is not None)
    return found


def external_ids(store: Store, employee_ids: Iterable[str]) -> dict[str, str | None]:
    wanted = list(set(employee_ids))
    with store.reader() as uow:
        rows = uow.session.execute(
            select(EmployeeRow.id, EmployeeRow.external_id).where(EmployeeRow.id.in_(wanted))
        )
        return {employee_id: external for employee_id, external in rows}


def employees_page(
    store: Store, after: tuple[datetime, str] | None, updated_since: datetime | None, limit: int
) -> list[Employee]:
    """Employees in (updated_at, id) order, so a sync client can resume where it stopped."""
    query = select(EmployeeRow).order_by(EmployeeRow.updated_at, EmployeeRow.id).limit(limit + 1)
    if updated_since is not None:
        query = query.where(EmployeeRow.updated_at >= updated_since)
    if after is not None:
        at, last_id = after
        query = query.where(
            or_(EmployeeRow.updated_at > at, and_(EmployeeRow.updated_at == at, EmployeeRow.id > last_id))
        )
    with store.reader() as uow:
        return [uow.codec.to_domain(row) for row in uow.session.scalars(query)]


@dataclass(frozen=True)
class TransactionLine:
    account: str  # "wallet", "allowance", "held" or a system account
    employee_id: str | None
    amount: int


@dataclass(frozen=True)
class TransactionView:
    id: int
    kind: str
    actor: str | None
    memo: str | None
    reference: str | None
    created_at: datetime
    postings: list[TransactionLine]


@dataclass(frozen=True)
class TransactionPage:
    """Up to `limit + 1` transactions, and the greatest id created in [since, until) when both
    dates were given, for the next page's cursor to carry (so no later page reads it again)."""

    rows: list[TransactionView]
    high: int | None = None


def transactions_page(
    store: Store,
    *,
    after_id: int | None,
    employee_id: str | None,
    kind: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    high: int | None = None,
) -> TransactionPage:
    """Transactions in id order, filtered; every filter walks an index in id order and stops
    after `limit + 1` matches (see `id_window` for dates and `high`, `merged_keysets` for a person)."""

    with store.reader() as uow:
        session = uow.session
        window = id_window(session, TransactionRow.__table__, since, until, after_id, high)

        def wanted(id_column) -> list:
            found = [TransactionRow.kind == kind] if kind else []
            found += window.conditions(id_column)
            return found + ([id_column > after_id] if after_id is not None else [])

        if window.empty:
            ids: list[int] = []
        elif employee_id is None:
            ids = list(
                session.scalars(
                    select(TransactionRow.id)
                    .where(*wanted(TransactionRow.id))
                    .order_by(TransactionRow.id)
                    .limit(limit + 1)
                )
            )
        else:
            accounts = list(session.scalars(select(AccountRow.id).where(AccountRow.owner_id == employee_id)))
            ids = merged_keysets(
                session,
                [_postings_of(account, wanted(PostingRow.transaction_id)) for account in sorted(accounts)],
                limit + 1,
            )
        rows = session.execute(  # plain rows: no ORM objects to build for a read
            select(
                TransactionRow.id,
                TransactionRow.kind,
                TransactionRow.actor,
                TransactionRow.memo,
                TransactionRow.reference,
                TransactionRow.created_at,
            )
            .where(TransactionRow.id.in_(ids))
            .order_by(TransactionRow.id)
        ).all()
        lines = session.execute(
            select(PostingRow.transaction_id, AccountRow.kind, AccountRow.owner_id, PostingRow.amount)
            .join(AccountRow, AccountRow.id == PostingRow.account_id)
            .where(PostingRow.transaction_id.in_(ids))
            .order_by(PostingRow.id)
        ).all()
    by_txn: dict[int, list[TransactionLine]] = {}
    for txn_id, account, owner, amount in lines:
        by_txn.setdefault(txn_id, []).append(TransactionLine(account, owner, amount))
    views = [TransactionView(*row, postings=by_txn.get(row[0], [])) for row in rows]
    return TransactionPage(views, window.high)


def _postings_of(account_id: int, wanted: list) -> Select:
    """One account's transactions matching `wanted`, in id order, from (account_id, transaction_id)."""
    return (
        select(PostingRow.transaction_id)
        .join(TransactionRow, TransactionRow.id == PostingRow.transaction_id)
        .where(PostingRow.account_id == account_id, *wanted)
        .order_by(PostingRow.transaction_id)
    )


@dataclass(frozen=True)
class IdWindow:
    """Rows created in [since, until), as conditions for a walk in id order: the dates themselves
    and, where worth reading, the least and greatest id created in the window."""

    created: list  # conditions on the table's created_at: the answer stays exact
    low: int | None = None
    high: int | None = None
    empty: bool = False  # nothing was created in the window

    def conditions(self, id_column) -> list:
        found = list(self.created)
        if self.low is not None:
            found.append(id_column >= self.low)
        if self.high is not None:
            found.append(id_column <= self.high)
        return found


def id_window(
    session,
    table: Table,
    since: datetime | None,
    until: datetime | None,
    after_id: int | None,
    high: int | None = None,
) -> IdWindow:
    """The window [since, until) of `table` for a walk in id order from `after_id`.

    Each date stays a condition on `created_at`, so the answer is exact even where ids and
    times disagree. The least and greatest ids created in the window are read, in one
    statement, from the (created_at, id) index alone (its window's entries, never a table row),
    so the walk starts and stops where the window does rather than at the first or last id:
    the least on a first page with `since` (a later page starts after its cursor, which is past
    it), the greatest when both dates are given, on the first page only: later pages pass it
    back as `high` (from their cursor; a tampered one only narrows its caller's answer, which the
    dates keep exact otherwise). `until` alone needs neither: the walk up from the oldest id
    matches at once, and only the last page walks on past `until`."""
    created = [] if since is None else [table.c.created_at >= since]
    created += [] if until is None else [table.c.created_at < until]
    want_low = since is not None and after_id is None
    want_high = since is not None and until is not None
    if want_high and high is not None and not want_low:
        return IdWindow(created, None, high)
    if not (want_low or want_high):
        return IdWindow(created)
    # `id + 0`: min(id) and max(id) as such would let a planner walk the primary key from the
    # first (last) id instead, through all the history outside the window (SQLite, without
    # statistics, does).
    shifted = table.c.id + 0
    low, high = session.execute(select(func.min(shifted), func.max(shifted)).where(*created)).one()
    if low is None:
        return IdWindow(created, empty=True)
    return IdWindow(created, low if want_low else None, high if want_high else None)


def merged_keysets(session, streams: list[Select], wanted: int) -> list[int]:
    """The `wanted` smallest distinct ids of the union of `streams` (each a select of one id
    column in ascending order), reading at most `wanted` rows of each in one statement.

    Exact: an id is kept only up to the last id of every stream that was cut short, and a stream
    holding the same id twice makes the read go round again with more rows."""
    if not streams:
        return []
    take = wanted
    while True:
        parts = [stream.limit(take).subquery() for stream in streams]
        found: list[list[int]] = [[] for _ in parts]
        labelled = [select(literal(i).label("stream"), part.c[0]) for i, part in enumerate(parts)]
        for stream, found_id in session.execute(union_all(*labelled)):
            found[stream].append(found_id)
        cut = [ids[-1] for ids in found if len(ids) >= take]
        ceiling = min(cut) if cut else None
        merged = sorted({i for ids in found for i in ids if ceiling is None or i <= ceiling})
        if len(merged) >= wanted or ceiling is None:
            return merged[:wanted]
        take *= 2


MEMBER_STREAMS = 100  # up to this many members, a department's listing merges each member's kudos


def recognition_ids(
    session,
    *,
    after_id: int | None,
    since: datetime | None,
    value: str | None,
    department: str | None,
    limit: int,
) -> list[int]:
    """Ids of the first `limit` recognitions after `after_id`, in id order, matching the filters.

    Walks ids through (value, id) or the primary key, with a date as an id bound (`id_window`).
    `department` matches any recipient's department: a department of at most MEMBER_STREAMS
    people merges its members' received kudos from (employee_id, recognition_id), at most
    `limit` rows each; a bigger one walks the ids and checks each for a recipient there, which
    stops early since such a department receives a share of the kudos."""
    window = id_window(session, RecognitionRow.__table__, since, None, after_id)
    if window.empty:
        return []

    def wanted(id_column) -> list:
        found = [RecognitionRow.value == value] if value else []
        found += window.conditions(id_column)
        return found + ([id_column > after_id] if after_id is not None else [])

    if department:
        members = list(
            session.scalars(
                select(EmployeeRow.id).where(EmployeeRow.department == department).limit(MEMBER_STREAMS + 1)
            )
        )
        if len(members) <= MEMBER_STREAMS:
            streams = [
                _received_by(member, wanted(RecognitionRecipientRow.recognition_id)) for member in members
            ]
            return merged_keysets(session, streams, limit)
    query = select(RecognitionRow.id).where(*wanted(RecognitionRow.id))
    if department:
        query = query.where(
            exists()
            .where(RecognitionRecipientRow.recognition_id == RecognitionRow.id)
            .where(
                EmployeeRow.id == RecognitionRecipientRow.employee_id, EmployeeRow.department == department
            )
        )
    return list(session.scalars(query.order_by(RecognitionRow.id).limit(limit)))


def recognitions_by_id(session, ids: list[int]) -> list[Recognition]:
    """These recognitions in id order, with their recipients: two statements for the page."""
    recipients: dict[int, list[str]] = {}
    for rid, employee in session.execute(
        select(RecognitionRecipientRow.recognition_id, RecognitionRecipientRow.employee_id)
        .where(RecognitionRecipientRow.recognition_id.in_(ids))
        .order_by(RecognitionRecipientRow.recognition_id)
    ):
        recipients.setdefault(rid, []).append(employee)
    rows = session.scalars(
        select(RecognitionRow).where(RecognitionRow.id.in_(ids)).order_by(RecognitionRow.id)
    )
    return [recognition_of(row, recipients.get(row.id, [])) for row in rows]


def _received_by(employee_id: str, wanted: list) -> Select:
    """One person's received recognitions matching `wanted`, in id order."""
    return (
        select(RecognitionRecipientRow.recognition_id)
        .join(RecognitionRow, RecognitionRow.id == RecognitionRecipientRow.recognition_id)
        .where(RecognitionRecipientRow.employee_id == employee_id, *wanted)
        .order_by(RecognitionRecipientRow.recognition_id)
    )


def redemptions_page(
    store: Store, *, after_id: int | None, state: str | None, employee_id: str | None, limit: int
) -> list[Redemption]:
    """Redemptions in id order, from (employee_id, id) or (state, id)."""
    query = select(RedemptionRow).order_by(RedemptionRow.id).limit(limit + 1)
    if after_id is not None:
        query = query.where(RedemptionRow.id > after_id)
    if state:
        query = query.where(RedemptionRow.state == state)
    if employee_id is not None:
        query = query.where(RedemptionRow.employee_id == employee_id)
    with store.reader() as uow:
        return [uow.redemptions.to_domain(row) for row in uow.session.scalars(query)]


def catalog_page(store: Store, *, after_id: int | None, active: bool | None, limit: int) -> list[CatalogItem]:
    query = select(CatalogItemRow).order_by(CatalogItemRow.id).limit(limit + 1)
    if after_id is not None:
        query = query.where(CatalogItemRow.id > after_id)
    if active is not None:
        query = query.where(CatalogItemRow.active.is_(active))
    with store.reader() as uow:
        return [catalog_to_domain(row) for row in uow.session.scalars(query)]
