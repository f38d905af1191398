"""Employees: create or update from HR or Slack, erase personal data on request.

Whoever creates a person (HR sync, CSV, Slack, SCIM) passes the allowance terms: someone new
and active gets this period's giving allowance in the same transaction, so they can give at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import fields, replace
from typing import Any

from rewards import errors
from rewards.clock import Clock
from rewards.model import PERSONAL_FIELDS, Employee, EmployeeStatus
from rewards.ports import UniqueConflict, UnitOfWork
from rewards.services import lookups
from rewards.services.allowance import AllowanceTerms, grant_first_allowance
from rewards.services.redemptions import cancel_open_of_erased

# Erased with the personal fields: what links the record to a person or places them.
LINKS = ("external_id", "slack_user_id", "country", "timezone", "locale")
EDITABLE = {f.name for f in fields(Employee)} - {"id", "created_at", "updated_at", "erased_at"}


def new_employee_id() -> str:
    """A fresh employee id (a random UUID)."""
    return str(uuid.uuid4())


def managers_first(items: Sequence[tuple[str | None, str | None]]) -> list[int]:
    """Positions of (HR id, manager's HR id) pairs, each manager named in the batch first.

    Otherwise the given order is kept; people who manage each other in a cycle keep theirs.
    """
    position: dict[str, int] = {}
    for index, (external_id, _) in enumerate(items):
        if external_id is not None:
            position.setdefault(external_id, index)
    order: list[int] = []
    done: set[int] = set()
    for start in range(len(items)):
        chain: list[int] = []
        current: int | None = start
        while current is not None and current not in done and current not in chain:
            chain.append(current)
            manager = items[current][1]
            current = position.get(manager) if manager else None
        for index in reversed(chain):
            done.add(index)
            order.append(index)
    return order


def upsert_employee(
    uow: UnitOfWork,
    external_id: str,
    changes: dict[str, Any],
    clock: Clock,
    first_allowance: AllowanceTerms | None = None,
) -> tuple[Employee, bool]:
    """Create the employee with this HR id or update the given fields; returns (employee, created).

    With `first_allowance`, a new active person gets this period's allowance with the record.
    """
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValueError(f"unknown employee fields: {sorted(unknown)}")
    try:
        return _upsert_once(uow, external_id, changes, clock, first_allowance)
    except UniqueConflict:  # created concurrently: now it exists, so this becomes an update
        return _upsert_once(uow, external_id, changes, clock, first_allowance)


def _upsert_once(
    uow: UnitOfWork,
    external_id: str,
    changes: dict[str, Any],
    clock: Clock,
    first_allowance: AllowanceTerms | None,
) -> tuple[Employee, bool]:
    with uow:
        employee, created = _upsert(uow, external_id, changes, clock)
        if created and first_allowance is not None:
            grant_first_allowance(uow, employee, first_allowance, clock, new=True)
        uow.commit()
        return employee, created


def _upsert(
    uow: UnitOfWork, external_id: str, changes: dict[str, Any], clock: Clock
) -> tuple[Employee, bool]:
    now = clock.now()
    current = uow.employees.get_by_external_id(external_id)
    if current is not None and current.erased_at is not None:
        raise errors.EmployeeErased(
            "This employee was erased; their HR id cannot be reused.", external_id=external_id
        )
    if current is None:
        current = _met_in_chat_first(uow, changes.get("email"))
    _check_unique_slack_id(uow, changes.get("slack_user_id"), current)
    _check_unique_email(uow, changes.get("email"), current)
    if current is None:
        employee = Employee(
            id=new_employee_id(),
            external_id=external_id,
            created_at=now,
            updated_at=now,
            **{k: v for k, v in changes.items() if k != "external_id"},
        )
        uow.employees.add(employee)
        uow.ledger.open_accounts(employee.id)
        return employee, True
    updated = replace(current, **changes, external_id=external_id, updated_at=now)
    uow.employees.save(updated)
    return updated, False


def add_employee(
    uow: UnitOfWork, employee: Employee, clock: Clock, first_allowance: AllowanceTerms | None = None
) -> Employee:
    """Add an employee known only from Slack (no HR id yet) and open its accounts.

    With `first_allowance`, an active person gets this period's allowance with the record.
    """
    with uow:
        _check_unique_slack_id(uow, employee.slack_user_id, None)
        _check_unique_email(uow, employee.email, None)
        now = clock.now()
        employee = replace(employee, id=employee.id or new_employee_id(), created_at=now, updated_at=now)
        uow.employees.add(employee)
        uow.ledger.open_accounts(employee.id)
        if first_allowance is not None:
            grant_first_allowance(uow, employee, first_allowance, clock, new=True)
        uow.commit()
        return employee


def erase_employee(uow: UnitOfWork, employee_id: str, clock: Clock) -> Employee:
    """Erase a person: personal fields, HR and Slack ids, and what other records hold of them.

    Their open redemptions are cancelled first (points back to their wallet). The ledger keeps
    its amounts (anonymous), so it verifies and reports still add up. Erasing
    someone erased already finishes the job again (say, after an upgrade) and publishes nothing.
    """
    with uow:
        employee = lookups.employee(uow, employee_id)
        now = clock.now()
        cancel_open_of_erased(uow, employee.id, now)  # held points back; nothing left to decide
        cleared: dict[str, Any] = dict.fromkeys((*PERSONAL_FIELDS, *LINKS))
        erased = replace(
            employee,
            **cleared,
            status=EmployeeStatus.INACTIVE,
            erased_at=employee.erased_at or now,
            updated_at=now,
        )
        uow.employees.save(erased)
        uow.employees.forget_traces(employee)
        if employee.erased_at is None:  # subscribers learn the HR id so they can erase too
            uow.events.publish(
                "employee.erased", {"employee_id": employee.id, "external_id": employee.external_id}
            )
        uow.commit()
        return erased


def _check_unique_slack_id(uow: UnitOfWork, slack_id: str | None, current: Employee | None) -> None:
    if not slack_id:
        return
    other = uow.employees.get_by_slack_id(slack_id)
    if other is not None and (current is None or other.id != current.id):
        raise errors.DuplicateEmployee(
            "Another employee already has this Slack user id.", slack_user_id=slack_id
        )


def _met_in_chat_first(uow: UnitOfWork, email: str | None) -> Employee | None:
    """The employee Slack created with this email before HR named them: HR's record is theirs."""
    other = uow.employees.get_by_email(email) if email else None
    return other if other is not None and other.external_id is None else None


def _check_unique_email(uow: UnitOfWork, email: str | None, current: Employee | None) -> None:
    if not email:
        return
    other = uow.employees.get_by_email(email)
    if other is not None and (current is None or other.id != current.id):
        raise errors.DuplicateEmployee(
            "Another employee already has this email address; each employee needs their own.",
            field="email",
        )
