"""Allowance: grant the points an employee may give, and expire what is left at period end."""

from __future__ import annotations

from dataclasses import dataclass

from rewards import errors
from rewards.clock import Clock
from rewards.milestones import zone_for
from rewards.model import AccountKind, Employee, LedgerTransaction, Posting
from rewards.periods import period_key
from rewards.policy import AllowancePolicy
from rewards.ports import UnitOfWork
from rewards.services import lookups
from rewards.services.idempotency import fingerprint, run_once


@dataclass(frozen=True)
class AllowanceTerms:
    """The configured allowance and the organisation's zone, which places today in a period."""

    policy: AllowancePolicy
    org_timezone: str = "UTC"

    def current_period(self, clock: Clock) -> str:
        """The key of the period containing today on the organisation's calendar."""
        return current_period(self.policy, clock, self.org_timezone)


def current_period(policy: AllowancePolicy, clock: Clock, org_timezone: str) -> str:
    """The key ("2026-11", "2026-W48", "2026-Q4") of the period containing today in `org_timezone`."""
    return period_key(clock.now().astimezone(zone_for(None, org_timezone)).date(), policy.period)


def grant_first_allowance(
    uow: UnitOfWork, employee: Employee, terms: AllowanceTerms, clock: Clock, *, new: bool = False
) -> None:
    """Inside an open unit of work: an active person (not a bot) holds this period's allowance.

    It carries the periodic grant's key, so the allowance job later skips them. `new`: the
    employee was created in this unit of work, so no grant can exist yet (one look-up saved).
    """
    points = terms.policy.points_per_period
    if not employee.is_active or employee.is_bot or points < 1:
        return
    period = terms.current_period(clock)
    if new or uow.ledger.find(grant_key(employee.id, period)) is None:
        post_grant(uow, employee.id, points, period, clock)


def grant_allowance(
    uow: UnitOfWork,
    employee_id: str,
    points: int,
    period: str,
    clock: Clock,
    key: str | None = None,
) -> LedgerTransaction:
    """Credit `points` of giving allowance for `period` (e.g. "2026-11"), once per period."""
    if isinstance(points, bool) or not isinstance(points, int) or points < 1:
        raise errors.InvalidPoints("An allowance grant must be a positive whole number.")
    key = key or grant_key(employee_id, period)
    digest = fingerprint(employee=employee_id, points=points, period=period)

    def perform() -> LedgerTransaction:
        employee = lookups.employee(uow, employee_id)
        if not employee.is_active:
            raise errors.InactiveEmployee("Inactive employees get no allowance.")
        return post_grant(uow, employee.id, points, period, clock, key)

    return run_once(uow, key, digest, perform, lambda txn: txn)


def grant_key(employee_id: str, period: str) -> str:
    """The idempotency key of an employee's allowance grant for one period."""
    return f"allowance:{employee_id}:{period}:grant"


def post_grant(
    uow: UnitOfWork, employee_id: str, points: int, period: str, clock: Clock, key: str | None = None
) -> LedgerTransaction:
    """The grant's ledger write inside an open unit of work (a new employee's first allowance
    is committed together with the employee, so nobody sees them without it)."""
    allowance = uow.ledger.account_id(employee_id, AccountKind.ALLOWANCE)
    issuance = uow.ledger.account_id(None, AccountKind.ISSUANCE)
    return uow.ledger.post(
        "allowance.grant",
        key or grant_key(employee_id, period),
        [Posting(issuance, -points), Posting(allowance, points)],
        at=clock.now(),
        memo=f"allowance for {period}",
        reference=f"employee:{employee_id}",
        fingerprint=fingerprint(employee=employee_id, points=points, period=period),
    )


def expire_allowance(uow: UnitOfWork, employee_id: str, period: str, clock: Clock) -> LedgerTransaction:
    """Move whatever allowance is left at the end of `period` to the expired account, once."""
    key = f"allowance:{employee_id}:{period}:expire"
    digest = fingerprint(employee=employee_id, period=period, action="expire")

    def perform() -> LedgerTransaction:
        lookups.employee(uow, employee_id)
        allowance = uow.ledger.account_id(employee_id, AccountKind.ALLOWANCE)
        expired = uow.ledger.account_id(None, AccountKind.EXPIRED)
        left = uow.ledger.lock([allowance])[allowance]
        postings = [Posting(allowance, -left), Posting(expired, left)] if left else []
        return uow.ledger.post(
            "allowance.expire",
            key,
            postings,
            at=clock.now(),
            memo=f"unused allowance of {period}",
            reference=f"employee:{employee_id}",
            fingerprint=digest,
        )

    return run_once(uow, key, digest, perform, lambda txn: txn)
