"""Balances and the ledger: what each employee holds and every movement of points."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from api.blueprints import api_blueprint, security
from api.context import ctx
from api.pagination import bounded_id_cursor, page
from api.routes.employees import find
from api.schemas import DateTime, ExternalId, Out, PageQuery
from api.schemas_employees import EmployeePath
from storage.reads import activity, listings

bp = api_blueprint("ledger", "Ledger", "ledger:read", "ledger:read")
READ = security("ledger:read")


class BalanceOut(Out):
    employee_id: str = Field(description="The employee's HR id.")
    allowance: int = Field(description="Points the employee may still give this period.")
    wallet: int = Field(description="Points received and spendable.")
    held: int = Field(description="Points reserved by pending redemptions.")


class PostingOut(Out):
    account: str
    employee_id: str | None = Field(description="HR id of the account's owner; null for system accounts.")
    amount: int


class TransactionOut(Out):
    id: int
    kind: str
    actor: str | None
    memo: str | None
    reference: str | None
    created_at: datetime
    postings: list[PostingOut]


class TransactionPage(Out):
    items: list[TransactionOut]
    next_cursor: str | None


class TransactionQuery(PageQuery):
    employee_id: ExternalId | None = None
    kind: str | None = Field(default=None, max_length=40, description="e.g. award, recognition")
    since: DateTime | None = Field(default=None, description="Created at or after (ISO 8601).")
    until: DateTime | None = Field(default=None, description="Created before (ISO 8601).")


@bp.get("/employees/<hr_id:external_id>/balance", security=READ, responses={200: BalanceOut})
def balance(path: EmployeePath):
    """The employee's allowance, wallet and held points."""
    found = activity.balances(ctx().store, find(path.external_id).id)
    return BalanceOut(
        employee_id=path.external_id, allowance=found.allowance, wallet=found.wallet, held=found.held
    ).model_dump(mode="json")


@bp.get("/ledger/transactions", security=READ, responses={200: TransactionPage})
def transactions(query: TransactionQuery):
    """Ledger transactions in id order with their postings; filter by employee, kind and time."""
    employee_id = find(query.employee_id).id if query.employee_id else None
    after_id, high = bounded_id_cursor(query.cursor)
    found = listings.transactions_page(
        ctx().store,
        after_id=after_id,
        employee_id=employee_id,
        kind=query.kind,
        since=query.since,
        until=query.until,
        limit=query.limit,
        high=high,
    )
    carried = found.high
    items, cursor = page(found.rows, query.limit, lambda t: t.id if carried is None else [t.id, carried])
    externals = listings.external_ids(
        ctx().store, {p.employee_id for t in items for p in t.postings if p.employee_id}
    )
    return {"items": [_transaction(t, externals) for t in items], "next_cursor": cursor}


def _transaction(txn: listings.TransactionView, externals: dict) -> dict:
    postings = [
        PostingOut(
            account=p.account,
            amount=p.amount,
            employee_id=externals.get(p.employee_id) if p.employee_id else None,
        )
        for p in txn.postings
    ]
    return TransactionOut(
        id=txn.id,
        kind=txn.kind,
        actor=txn.actor,
        memo=txn.memo,
        reference=txn.reference,
        created_at=txn.created_at,
        postings=postings,
    ).model_dump(mode="json")
