"""Create or update employees from HR fields, one or many (shared by the API and the CSV import).

An erased employee's HR id cannot be reused: `upsert_employee` refuses it (EmployeeErased).
Someone new gets this period's giving allowance with their record (`first_allowance`).
In a batch each item succeeds or fails on its own, and a manager named in the batch is
written before the people it manages, wherever it stands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from api.schemas_employees import BulkEmployee
from rewards.errors import DomainError
from rewards.model import Employee
from rewards.services.allowance import AllowanceTerms
from rewards.services.employees import managers_first, upsert_employee
from storage.reads import listings
from storage.store import Store


class UnknownManager(DomainError):
    code = "unknown_manager"
    status = 422


@dataclass(frozen=True)
class Invalid:
    """An item that is not a valid employee: which fields are wrong, and why, in words."""

    external_id: str | None
    fields: list[str]
    detail: str


@dataclass(frozen=True)
class Outcome:
    """What became of one item of a batch, at its position in the batch."""

    index: int
    external_id: str | None
    result: Literal["created", "updated", "error"]
    employee: Employee | None = None
    code: str | None = None
    detail: str | None = None
    fields: list[str] | None = None


def sync_employee(
    store: Store, external_id: str, fields: dict[str, Any], first_allowance: AllowanceTerms
) -> tuple[Employee, bool]:
    """Upsert by HR id; `fields` are EmployeeFields values that were sent (None clears)."""
    changes = dict(fields)
    if "manager_external_id" in changes:
        manager = changes.pop("manager_external_id")
        changes["manager_id"] = _manager_id(store, manager) if manager else None
    return upsert_employee(store.uow(), external_id, changes, store.clock, first_allowance)


def parse_item(raw: object) -> BulkEmployee | Invalid:
    """One batch item checked on its own: the employee, or what is wrong with it."""
    try:
        return BulkEmployee.model_validate(raw)
    except ValidationError as exc:
        return invalid(exc, raw)


def invalid(exc: ValidationError, raw: object) -> Invalid:
    """The fields a validation error names and a sentence saying what each needs."""
    problems = [(".".join(str(p) for p in err["loc"]) or "item", err["msg"]) for err in exc.errors()]
    fields = [field for field, _ in problems]
    hr_id = raw.get("external_id") if isinstance(raw, dict) else None
    known = hr_id if isinstance(hr_id, str) and "external_id" not in fields else None
    detail = "This item is not valid: " + "; ".join(f"{f}: {m}" for f, m in problems) + "."
    return Invalid(known, fields, detail)


def sync_batch(
    store: Store, items: list[BulkEmployee | Invalid], first_allowance: AllowanceTerms
) -> list[Outcome]:
    """Upsert each valid item, managers named in the batch first; outcomes in the items' order."""
    keys = [
        (None, None) if isinstance(item, Invalid) else (item.external_id, item.manager_external_id)
        for item in items
    ]
    outcomes: dict[int, Outcome] = {}
    for index in managers_first(keys):
        outcomes[index] = _one(store, index, items[index], first_allowance)
    return [outcomes[index] for index in range(len(items))]


def _one(store: Store, index: int, item: BulkEmployee | Invalid, terms: AllowanceTerms) -> Outcome:
    if isinstance(item, Invalid):
        return Outcome(
            index, item.external_id, "error", code="invalid_item", detail=item.detail, fields=item.fields
        )
    fields = item.model_dump(exclude_unset=True)
    fields.pop("external_id", None)
    try:
        employee, created = sync_employee(store, item.external_id, fields, terms)
    except DomainError as exc:
        return Outcome(index, item.external_id, "error", code=exc.code, detail=exc.message)
    return Outcome(index, item.external_id, "created" if created else "updated", employee=employee)


def _manager_id(store: Store, external_id: str) -> str:
    found = listings.ids_for_external(store, [external_id]).get(external_id)
    if found is None:
        raise UnknownManager(
            "No employee has the manager's HR id; create the manager first, or in the same batch.",
            manager_external_id=external_id,
        )
    return found
