"""Employees: create or update by HR id, read, list for sync, bulk upsert, erase."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from api.blueprints import api_blueprint, security
from api.context import ctx
from api.employee_sync import sync_employee
from api.pagination import decode, page
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
)
from rewards.errors import DomainError, EmployeeNotFound
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


@bp.put("/employees/<hr_id:external_id>", security=WRITE, responses={200: EmployeeOut, 201: EmployeeOut})
def put_employee(path: EmployeePath, body: EmployeeIn):
    """Create the employee with this HR id, or update the fields sent."""
    context = ctx()
    fields = body.model_dump(exclude_unset=True)
    employee, created = sync_employee(context.store, path.external_id, fields, context.allowance)
    return jsonify(EmployeeOut.of(employee).model_dump(mode="json")), 201 if created else 200


@bp.get("/employees/<hr_id:external_id>", security=READ, responses={200: EmployeeOut})
def get_employee(path: EmployeePath):
    """One employee, personal fields included."""
    return EmployeeOut.of(find(path.external_id)).model_dump(mode="json")


@bp.get("/employees", security=READ, responses={200: EmployeePage})
def list_employees(query: EmployeeListQuery):
    """Employees in change order; pass `updated_since` and follow `next_cursor` to sync."""
    position = decode(query.cursor)
    after = None
    if position is not None:
        after = (_parse_time(position[0]), str(position[1]))
    rows = listings.employees_page(ctx().store, after, query.updated_since, query.limit)
    items, cursor = page(rows, query.limit, lambda e: [e.updated_at.isoformat(), e.id])
    return {"items": [EmployeeOut.of(e).model_dump(mode="json") for e in items], "next_cursor": cursor}


@bp.post("/employees/bulk", security=WRITE, responses={200: BulkEmployeesOut})
def bulk_employees(body: BulkEmployeesIn):
    """Create or update up to 1,000 employees; each item succeeds or fails on its own."""
    results = [_bulk_one(item.external_id, item.model_dump(exclude_unset=True)) for item in body.items]
    counts = {kind: sum(r.result == kind for r in results) for kind in ("created", "updated", "error")}
    return BulkEmployeesOut(
        created=counts["created"], updated=counts["updated"], failed=counts["error"], items=results
    ).model_dump(mode="json")


def _bulk_one(external_id: str, fields: dict[str, Any]) -> BulkItemResult:
    fields.pop("external_id", None)
    context = ctx()
    try:
        employee, created = sync_employee(context.store, external_id, fields, context.allowance)
    except DomainError as exc:
        return BulkItemResult(
            external_id=external_id,
            result="error",
            error=BulkItemError(code=exc.code, detail=exc.message),
        )
    return BulkItemResult(external_id=external_id, id=employee.id, result="created" if created else "updated")


@bp.delete("/employees/<hr_id:external_id>", security=WRITE, responses={200: EmployeeOut})
def delete_employee(path: EmployeePath):
    """Erase: personal fields removed, deactivated; the ledger keeps its anonymous history."""
    erased = erase_employee(ctx().store.uow(), find(path.external_id).id, ctx().store.clock)
    return EmployeeOut.of(erased).model_dump(mode="json")


def _parse_time(text: str):
    from datetime import datetime

    from api.pagination import BadCursor

    try:
        return datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise BadCursor("The cursor is not one this API gave out.") from None
