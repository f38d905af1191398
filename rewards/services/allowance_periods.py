"""Allowance periods: at each boundary expire what is left and grant the new allowance, once."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from rewards import errors
from rewards.clock import Clock
from rewards.milestones import zone_for
from rewards.periods import period_key, period_start
from rewards.policy import AllowancePolicy
from rewards.scheduler_ports import SchedulerUnitOfWork
from rewards.services.allowance import expire_allowance, grant_allowance, grant_key

log = logging.getLogger("plaudit.allowance")


@dataclass
class RollReport:
    period: str
    rolled: int = 0
    failed: int = 0


def roll_allowance_periods(
    uow: SchedulerUnitOfWork,
    policy: AllowancePolicy,
    clock: Clock,
    org_timezone: str,
    reader: SchedulerUnitOfWork | None = None,
) -> RollReport:
    """For everyone not yet granted this period: expire last period's leftover, grant the new one.

    People created this period were granted with their record (the same key): they are skipped.
    """
    today = clock.now().astimezone(zone_for(None, org_timezone)).date()
    current = period_key(today, policy.period)
    previous = period_key(period_start(today, policy.period) - timedelta(days=1), policy.period)
    reader = reader or uow
    with reader:
        people = reader.milestone_data.active_employee_ids()
        waiting = reader.milestone_data.missing_keys(grant_key(emp, current) for emp in people)
    report = RollReport(current)
    for employee_id in (emp for emp in people if grant_key(emp, current) in waiting):
        try:  # expire first: the new grant must never be swept away as leftover
            expire_allowance(uow, employee_id, previous, clock)
            grant_allowance(uow, employee_id, policy.points_per_period, current, clock)
            report.rolled += 1
        except errors.DomainError as exc:  # left or was deactivated meanwhile
            report.failed += 1
            log.warning("allowance for %s in %s not rolled: %s", employee_id, current, exc.code)
    return report
