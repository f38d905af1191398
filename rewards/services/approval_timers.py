"""Waiting redemptions: remind the approver, escalate to HR, and finally expire, each once."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from rewards import errors
from rewards.clock import Clock
from rewards.model import Redemption, RedemptionState
from rewards.policy import RedemptionPolicy
from rewards.ports import UnitOfWork
from rewards.services import lookups
from rewards.services.redemptions import approvers_for, decide_redemption, hr_approvers


@dataclass(frozen=True)
class ApprovalTimers:
    remind_after: timedelta = timedelta(hours=48)
    escalate_after: timedelta = timedelta(days=5)
    expire_after: timedelta = timedelta(days=14)


@dataclass
class ChaseReport:
    reminded: int = 0
    escalated: int = 0
    expired: int = 0


def chase_approvals(
    uow: UnitOfWork, policy: RedemptionPolicy, timers: ApprovalTimers, clock: Clock
) -> ChaseReport:
    """Act on every redemption waiting too long for a decision; each step happens once."""
    now = clock.now()
    earliest = min(timers.remind_after, timers.escalate_after, timers.expire_after)
    with uow:
        waiting = uow.redemptions.in_state(RedemptionState.REQUESTED, before=now - earliest)
    report = ChaseReport()
    for redemption in waiting:
        age = now - redemption.created_at
        if age >= timers.expire_after:
            report.expired += _expire(uow, redemption, timers, policy, clock)
            continue
        if age >= timers.escalate_after and redemption.escalated_at is None:
            report.escalated += _notify(uow, redemption.id, "escalated_at", now, policy, age)
        if age >= timers.remind_after and redemption.reminded_at is None:
            report.reminded += _notify(uow, redemption.id, "reminded_at", now, policy, age)
    return report


def _expire(
    uow: UnitOfWork, redemption: Redemption, timers: ApprovalTimers, policy: RedemptionPolicy, clock: Clock
) -> int:
    days = timers.expire_after.days
    try:
        decide_redemption(
            uow,
            redemption.id,
            "expire",
            f"redemption:{redemption.id}:expire",
            clock,
            policy,
            reason=f"no decision within {days} days",
            check_approver=False,
        )
    except errors.IllegalTransition:
        return 0  # decided meanwhile
    return 1


def _notify(
    uow: UnitOfWork,
    redemption_id: int,
    stamp: Literal["reminded_at", "escalated_at"],
    now: datetime,
    policy: RedemptionPolicy,
    age: timedelta,
) -> int:
    with uow:
        current = lookups.redemption(uow, redemption_id, for_update=True)
        if current.state != RedemptionState.REQUESTED or getattr(current, stamp) is not None:
            return 0
        escalate = stamp == "escalated_at"
        uow.redemptions.save(
            replace(current, escalated_at=now) if escalate else replace(current, reminded_at=now)
        )
        employee = lookups.employee(uow, current.employee_id)
        approvers = (
            hr_approvers(uow.employees, employee, policy)
            if escalate
            else approvers_for(uow.employees, employee, policy)
        )
        uow.events.publish(
            "redemption.escalated" if escalate else "redemption.reminder",
            {
                "redemption_id": current.id,
                "employee_id": current.employee_id,
                "item_id": current.item_id,
                "points": current.points,
                "approver_ids": approvers,
                "waited_days": age.days,
            },
        )
        uow.commit()
        return 1
