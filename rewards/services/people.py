"""People met in chat: link a chat user to an employee, or create a minimal one from the profile."""

from __future__ import annotations

from dataclasses import dataclass, replace

from rewards import errors
from rewards.clock import Clock
from rewards.model import Employee, EmployeeStatus
from rewards.ports import DuplicateKey, UniqueConflict, UnitOfWork
from rewards.services.allowance import AllowanceTerms, grant_first_allowance
from rewards.services.employees import new_employee_id

CLOSED = (
    "Your Plaudit account was closed and your data erased, so nothing was done. "
    "If you should have an account again, ask HR to re-admit you."
)


@dataclass(frozen=True)
class ChatProfile:
    """What the chat platform says about a user (kept only as the employee's encrypted fields)."""

    user_id: str
    email: str | None = None
    display_name: str | None = None
    timezone: str | None = None
    is_bot: bool = False
    is_guest: bool = False
    deleted: bool = False


def meet_chat_user(
    uow: UnitOfWork, profile: ChatProfile, clock: Clock, first_allowance: AllowanceTerms | None = None
) -> tuple[Employee, bool]:
    """The employee behind a chat user: known, linked by email, or new; returns (employee, created).

    A chat user whose employee was erased is not met again: `AccountClosed` (HR re-admits them).

    With `first_allowance`, the active person returned holds this period's allowance, granted in
    the same transaction that creates or links them (once: someone granted already keeps theirs).
    """
    try:
        return _meet_once(uow, profile, clock, first_allowance)
    except (UniqueConflict, DuplicateKey):  # met concurrently by another request: now they are known
        return _meet_once(uow, profile, clock, first_allowance)


def _meet_once(
    uow: UnitOfWork, profile: ChatProfile, clock: Clock, first_allowance: AllowanceTerms | None
) -> tuple[Employee, bool]:
    with uow:
        employee, created = _meet(uow, profile, clock)
        if first_allowance is not None:
            grant_first_allowance(uow, employee, first_allowance, clock, new=created)
        uow.commit()
        return employee, created


def _meet(uow: UnitOfWork, profile: ChatProfile, clock: Clock) -> tuple[Employee, bool]:
    known = uow.employees.get_by_slack_id(profile.user_id)
    if known is not None:
        return known, False
    now = clock.now()
    match = uow.employees.get_by_email(profile.email) if profile.email else None
    if match is not None and match.slack_user_id is None:
        linked = replace(
            match,
            slack_user_id=profile.user_id,
            updated_at=now,
            is_bot=profile.is_bot,
            is_guest=profile.is_guest,
        )
        uow.employees.save(linked)
        return linked, False
    if uow.employees.closed_chat_account(profile.user_id):
        raise errors.AccountClosed(CLOSED, slack_user_id=profile.user_id)
    employee = Employee(
        id=new_employee_id(),
        slack_user_id=profile.user_id,
        email=profile.email if match is None else None,  # an email belongs to one employee
        display_name=profile.display_name,
        timezone=profile.timezone,
        is_bot=profile.is_bot,
        is_guest=profile.is_guest,
        created_at=now,
        updated_at=now,
        status=EmployeeStatus.INACTIVE if profile.deleted else EmployeeStatus.ACTIVE,
    )
    uow.employees.add(employee)
    uow.ledger.open_accounts(employee.id)
    return employee, True
