"""Read-only queries behind the HTTP API's lists: employees, ids, transactions, redemptions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select

from rewards.model import CatalogItem, Employee, Redemption
from storage.catalog.items import to_domain as catalog_to_domain
from storage.database.bulk import among
from storage.database.engine import read_only
from storage.schema.core import (
    AccountRow,
    CatalogItemRow,
    EmployeeRow,
    PostingRow,
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


def transactions_page(
    store: Store,
    *,
    after_id: int | None,
    employee_id: str | None,
    kind: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
) -> list[TransactionView]:
    query = select(TransactionRow).order_by(TransactionRow.id).limit(limit + 1)
    if after_id is not None:
        query = query.where(TransactionRow.id > after_id)
    if kind:
        query = query.where(TransactionRow.kind == kind)
    if since is not None:
        query = query.where(TransactionRow.created_at >= since)
    if until is not None:
        query = query.where(TransactionRow.created_at < until)
    if employee_id is not None:
        query = query.where(
            TransactionRow.id.in_(
                select(PostingRow.transaction_id)
                .join(AccountRow, AccountRow.id == PostingRow.account_id)
                .where(AccountRow.owner_id == employee_id)
            )
        )
    with store.reader() as uow:
        rows = [
            (r.id, r.kind, r.actor, r.memo, r.reference, r.created_at) for r in uow.session.scalars(query)
        ]
        lines = uow.session.execute(
            select(PostingRow.transaction_id, AccountRow.kind, AccountRow.owner_id, PostingRow.amount)
            .join(AccountRow, AccountRow.id == PostingRow.account_id)
            .where(PostingRow.transaction_id.in_([r[0] for r in rows]))
            .order_by(PostingRow.id)
        ).all()
    by_txn: dict[int, list[TransactionLine]] = {}
    for txn_id, account, owner, amount in lines:
        by_txn.setdefault(txn_id, []).append(TransactionLine(account, owner, amount))
    return [TransactionView(*r, by_txn.get(r[0], [])) for r in rows]


def redemptions_page(
    store: Store, *, after_id: int | None, state: str | None, employee_id: str | None, limit: int
) -> list[Redemption]:
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
