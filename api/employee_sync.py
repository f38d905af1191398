"""Create or update one employee from HR fields (shared by the API and the CSV import).

An erased employee's HR id cannot be reused: `upsert_employee` refuses it (EmployeeErased).
Someone new gets this period's giving allowance with their record (`first_allowance`).
"""

from __future__ import annotations

from typing import Any

from rewards.errors import DomainError
from rewards.model import Employee
from rewards.services.allowance import AllowanceTerms
from rewards.services.employees import upsert_employee
from storage.reads import listings
from storage.store import Store


class UnknownManager(DomainError):
    code = "unknown_manager"
    status = 422


def sync_employee(
    store: Store, external_id: str, fields: dict[str, Any], first_allowance: AllowanceTerms
) -> tuple[Employee, bool]:
    """Upsert by HR id; `fields` are EmployeeFields values that were sent (None clears)."""
    changes = dict(fields)
    if "manager_external_id" in changes:
        manager = changes.pop("manager_external_id")
        changes["manager_id"] = _manager_id(store, manager) if manager else None
    return upsert_employee(store.uow(), external_id, changes, store.clock, first_allowance)


def _manager_id(store: Store, external_id: str) -> str:
    found = listings.ids_for_external(store, [external_id]).get(external_id)
    if found is None:
        raise UnknownManager(
            "No employee has the manager's HR id; sync the manager first.", manager_external_id=external_id
        )
    return found
