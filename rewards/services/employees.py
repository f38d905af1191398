"""Employees: create or update from HR or Slack, erase personal data on request.

Whoever creates a person (HR sync, CSV, Slack, SCIM) passes the allowance terms: someone new
and active gets this period's giving allowance in the same transaction, so they can give at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import fields, replace
from datetime import datetime
from typing import Any

from rewards import errors
from rewards.clock import Clock
from rewards.model import PERSONAL_FIELDS, Employee, EmployeeStatus
from rewards.ports import UniqueConflict, UnitOfWork
from rewards.services import deactivation, lookups
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
    deactivation.after_status_change(uow, before=current, after=updated, now=now)
    return updated, False


def provision_employee(
    uow: UnitOfWork,
    changes: dict[str, Any],
    clock: Clock,
    first_allowance: AllowanceTerms | None = None,
) -> tuple[Employee, bool]:
    """Create the person an identity provider sends (SCIM POST); returns (employee, created).

    The person is looked for by userName, email and HR id. Someone the provider manages already
    (a userName, not deprovisioned) is a `DuplicateEmployee`; someone Slack or HR created, or the
    provider deprovisioned, is taken over with these fields, keeping their history. Someone new
    and active gets this period's allowance with the record (`first_allowance`).
    """
    _refuse_unknown(changes)
    try:
        return _provision_once(uow, changes, clock, first_allowance)
    except UniqueConflict:  # a twin committed first: now it is found, and answered as a duplicate
        return _provision_once(uow, changes, clock, first_allowance)


def update_employee(uow: UnitOfWork, employee_id: str, changes: dict[str, Any], clock: Clock) -> Employee:
    """Change these fields of an employee found by id (SCIM PUT and PATCH), under the upsert's rules.

    The row is locked first, so a racing DELETE is either waited for or sees this write. Raises
    `EmployeeNotFound` for an unknown or erased id, or a deprovisioned one (unless these changes
    are the deprovisioning), `DuplicateEmployee` when the userName,
    email, Slack id or HR id belongs to someone else, `EmployeeErased` for an erased person's HR id.
    """
    _refuse_unknown(changes)
    try:
        return _update_once(uow, employee_id, changes, clock)
    except UniqueConflict:  # a concurrent write took the same value: say who has it now
        return _update_once(uow, employee_id, changes, clock)


def _refuse_unknown(changes: dict[str, Any]) -> None:
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValueError(f"unknown employee fields: {sorted(unknown)}")


def _provision_once(
    uow: UnitOfWork, changes: dict[str, Any], clock: Clock, first_allowance: AllowanceTerms | None
) -> tuple[Employee, bool]:
    with uow:
        now = clock.now()
        current = _claimable(uow, changes)
        if current is None:
            _check_unique(uow, changes, None)
            _check_manager(uow, changes.get("manager_id"), None)
            employee = Employee(id=new_employee_id(), created_at=now, updated_at=now, **changes)
            uow.employees.add(employee)
            uow.ledger.open_accounts(employee.id)
            if first_allowance is not None:
                grant_first_allowance(uow, employee, first_allowance, clock, new=True)
            uow.commit()
            return employee, True
        employee = _apply(uow, current, {**changes, "deprovisioned_at": None}, now)
        uow.commit()
        return employee, False


def _update_once(uow: UnitOfWork, employee_id: str, changes: dict[str, Any], clock: Clock) -> Employee:
    with uow:
        uow.teams.lock_people(
            [employee_id], exclusive=True
        )  # read below only after a racing DELETE committed
        current = lookups.employee(uow, employee_id)
        # A deprovisioned person is gone for SCIM: only the deprovisioning itself still writes.
        gone = current.deprovisioned_at is not None and "deprovisioned_at" not in changes
        if current.erased_at is not None or gone:
            raise errors.EmployeeNotFound("No such employee.", employee_id=employee_id)
        employee = _apply(uow, current, changes, clock.now())
        uow.commit()
        return employee


def _apply(uow: UnitOfWork, current: Employee, changes: dict[str, Any], now: datetime) -> Employee:
    _check_unique(uow, changes, current)
    _check_manager(uow, changes.get("manager_id"), current)
    updated = replace(current, **changes, updated_at=now)
    uow.employees.save(updated)
    deactivation.after_status_change(uow, before=current, after=updated, now=now)
    return updated


def _claimable(uow: UnitOfWork, changes: dict[str, Any]) -> Employee | None:
    """The existing record this provisioning takes over, if any; refuses one the provider has."""
    lookups_by_field = (
        ("user_name", uow.employees.get_by_user_name),
        ("email", uow.employees.get_by_email),
        ("external_id", uow.employees.get_by_external_id),
    )
    for name, lookup in lookups_by_field:
        value = changes.get(name)
        found = lookup(value) if value else None
        if found is None:
            continue
        if found.erased_at is not None:
            raise errors.EmployeeErased("This employee was erased; their HR id cannot be reused.", field=name)
        if found.user_name is not None and found.deprovisioned_at is None:
            raise errors.DuplicateEmployee(
                "The identity provider has provisioned this person already.", field=name
            )
        return found
    return None


def _check_unique(uow: UnitOfWork, changes: dict[str, Any], current: Employee | None) -> None:
    _check_unique_slack_id(uow, changes.get("slack_user_id"), current)
    _check_unique_email(uow, changes.get("email"), current)
    user_name = changes.get("user_name")
    other = uow.employees.get_by_user_name(user_name) if user_name else None
    if other is not None and (current is None or other.id != current.id):
        raise errors.DuplicateEmployee("Another employee already has this userName.", field="user_name")
    external_id = changes.get("external_id")
    other = uow.employees.get_by_external_id(external_id) if external_id else None
    if other is not None and (current is None or other.id != current.id):
        if other.erased_at is not None:
            raise errors.EmployeeErased(
                "This employee was erased; their HR id cannot be reused.", field="external_id"
            )
        raise errors.DuplicateEmployee("Another employee already has this HR id.", field="external_id")


def _check_manager(uow: UnitOfWork, manager_id: str | None, current: Employee | None) -> None:
    if not manager_id or (current is not None and manager_id == current.manager_id):
        return
    manager = uow.employees.get(manager_id)
    if manager is None or manager.erased_at is not None or (current and manager.id == current.id):
        raise errors.EmployeeNotFound(
            "The manager must be another existing employee.", field="manager_id", employee_id=manager_id
        )


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
