"""Preferences an employee sets for themselves, such as how milestones are celebrated."""

from __future__ import annotations

from dataclasses import replace

from rewards import errors
from rewards.clock import Clock
from rewards.model import Celebration, Employee
from rewards.ports import UnitOfWork
from rewards.services import lookups


def set_celebration(uow: UnitOfWork, employee_id: str, choice: str, clock: Clock) -> Employee:
    """Choose public, private or no celebration of one's milestones."""
    try:
        celebration = Celebration(choice)
    except ValueError:
        raise errors.DomainError("Choose public, private or none.") from None
    with uow:
        employee = lookups.employee(uow, employee_id)
        updated = replace(employee, celebration=celebration, updated_at=clock.now())
        uow.employees.save(updated)
        uow.commit()
        return updated
