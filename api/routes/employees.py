"""Employees: create or update by HR id, read, list for sync, bulk upsert, erase."""

from __future__ import annotations

from flask import jsonify

from api.blueprints import api_blueprint, granted, security
from api.context import ctx
from api.employee_sync import parse_item, sync_batch, sync_employee
from api.pagination import page, time_id_cursor
from api.schemas_employees import (
    BulkEmployeesIn,
    BulkEmployeesOut,
    BulkItemError,
    BulkItemResult,
    EmployeeIn,
    EmployeeListQuery,
    EmployeeOut,
    EmployeePage,
    EmployeePath,
    EmployeeWriteOut,
)
from rewards.errors import EmployeeNotFound
from rewards.model import Employee
from rewards.services.employees import erase_employee
from storage.reads import listings

bp = api_blueprint("employees", "Employees", "employees:read", "employees:write")
READ, WRITE = security("employees:read"), security("employees:write")


def find(external_id: str) -> Employee:
    with ctx().store.reader() as uow:
        found = uow.employees.get_by_external_id(external_id)
    if found is None or found.erased_at is not None:
        raise EmployeeNotFound("No employee has this HR id (or they were erased).", external_id=external_id)
    return found


def shown(employees: list[Employee]) -> list[EmployeeOut]:
    """Employees as responses show them: each manager named by HR id."""
    managers = {e.manager_id for e in employees if e.manager_id}
    hr_ids = listings.external_ids(ctx().store, managers) if managers else {}
    return [EmployeeOut.of(e, hr_ids.get(e.manager_id) if e.manager_id else None) for e in employees]


def written(employee: Employee) -> dict:
    """A written employee as JSON: personal fields only for a client that may read them."""
    out = EmployeeWriteOut(**shown([employee])[0].model_dump())
    return out.shown(personal=granted("employees:read"))


@bp.put(
    "/employees/<hr_id:external_id>", security=WRITE, responses={200: EmployeeWriteOut, 201: EmployeeWriteOut}
)
def put_employee(path: EmployeePath, body: EmployeeIn):
    """Create the employee with this HR id, or update the fields sent.

    The answer carries the personal fields only when the client also holds `employees:read`.
    """
    context = ctx()
    fields = body.model_dump(exclude_unset=True)
    employee, created = sync_employee(context.store, path.external_id, fields, context.allowance)
    return jsonify(written(employee)), 201 if created else 200


@bp.get("/employees/<hr_id:external_id>", security=READ, responses={200: EmployeeOut})
def get_employee(path: EmployeePath):
    """One employee, personal fields included."""
    return shown([find(path.external_id)])[0].model_dump(mode="json")


@bp.get("/employees", security=READ, responses={200: EmployeePage})
def list_employees(query: EmployeeListQuery):
    """Employees in change order; pass `updated_since` and follow `next_cursor` to sync."""
    rows = listings.employees_page(
        ctx().store, time_id_cursor(query.cursor), query.updated_since, query.limit
    )
    items, cursor = page(rows, query.limit, lambda e: [e.updated_at.isoformat(), e.id])
    return {"items": [e.model_dump(mode="json") for e in shown(items)], "next_cursor": cursor}


@bp.post("/employees/bulk", security=WRITE, responses={200: BulkEmployeesOut})
def bulk_employees(body: BulkEmployeesIn):
    """Create or update up to 1,000 employees; each item succeeds or fails on its own.

    A manager named by an item of the same batch is written first, wherever it stands.
    """
    outcomes = sync_batch(ctx().store, [parse_item(raw) for raw in body.items], ctx().allowance)
    results = [
        BulkItemResult(
            index=o.index,
            external_id=o.external_id,
            result=o.result,
            id=o.employee.id if o.employee else None,
            error=BulkItemError(code=o.code, detail=o.detail or "", fields=o.fields) if o.code else None,
        )
        for o in outcomes
    ]
    counts = {kind: sum(r.result == kind for r in results) for kind in ("created", "updated", "error")}
    return BulkEmployeesOut(
        created=counts["created"], updated=counts["updated"], failed=counts["error"], items=results
    ).model_dump(mode="json")


@bp.delete("/employees/<hr_id:external_id>", security=WRITE, responses={200: EmployeeOut})
def delete_employee(path: EmployeePath):
    """Erase: personal data, the HR and Slack ids, reward codes and kudos texts removed; the ledger
    keeps its anonymous amounts. Repeating it answers the same (and finishes an older erasure)."""
    with ctx().store.reader() as uow:
        found = uow.employees.get_by_external_id(path.external_id)
    if found is None:
        raise EmployeeNotFound("No employee has this HR id.", external_id=path.external_id)
    erased = erase_employee(ctx().store.uow(), found.id, ctx().store.clock)
    return shown([erased])[0].model_dump(mode="json")
