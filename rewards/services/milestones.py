"""The milestone sweep: award every occurrence due now (or missed within the window), once each."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from rewards import errors
from rewards.clock import Clock
from rewards.milestone_calendar import DueCalendar
from rewards.milestones import (
    DATED_KINDS,
    DEFAULT_FIRE_HOUR,
    DEFAULT_WINDOW,
    MilestoneKind,
    MilestoneRule,
    award_reason,
    occurrence_key,
    zone_for,
)
from rewards.ports import DuplicateKey
from rewards.scheduler_ports import AwardLine, SchedulerUnitOfWork
from rewards.services.awards import IssueAward, issue_award
from rewards.services.idempotency import fingerprint
from rewards.services.milestone_rules import DEFAULT_RULES, ensure_default_rules

log = logging.getLogger("plaudit.milestones")


@dataclass(frozen=True)
class SweepOptions:
    org_timezone: str = "UTC"
    window: timedelta = DEFAULT_WINDOW
    fire_hour: int = DEFAULT_FIRE_HOUR
    celebration_channel: str | None = None  # where public celebrations are posted
    batch_size: int = 1000


@dataclass
class SweepReport:
    examined: int = 0
    due: int = 0
    awarded: int = 0
    failed: int = 0
    keys: list[str] = field(default_factory=list)  # keys awarded by this sweep


@dataclass(frozen=True)
class Planned:
    key: str
    employee_id: str
    rule: MilestoneRule
    number: int | None


def sweep_milestones(
    uow: SchedulerUnitOfWork, clock: Clock, options: SweepOptions, reader: SchedulerUnitOfWork | None = None
) -> SweepReport:
    """Find every due milestone occurrence in the database and award each one once."""
    reader = reader or uow
    now = clock.now()
    report = SweepReport()
    with reader:
        codes = {rule.code for rule in reader.milestone_rules.list()}
    if not codes >= {rule.code for rule in DEFAULT_RULES}:
        ensure_default_rules(uow, clock)
    with reader:
        rules = reader.milestone_rules.list(active_only=True)
        planned = _dated(reader, rules, now, options, report) + _counted(reader, rules)
        fresh = reader.milestone_data.missing_keys(p.key for p in planned)
    todo = [p for p in planned if p.key in fresh]
    report.due = len(todo)
    for start in range(0, len(todo), options.batch_size):
        _award_batch(uow, todo[start : start + options.batch_size], clock, options, now, report)
    return report


def _dated(
    reader: SchedulerUnitOfWork,
    rules: list[MilestoneRule],
    now: datetime,
    options: SweepOptions,
    report: SweepReport,
) -> list[Planned]:
    dated = [rule for rule in rules if rule.kind in DATED_KINDS]
    if not dated:
        return []
    plans: dict[str | None, list[tuple[DueCalendar, bool]]] = {}  # per zone name
    planned = []
    for person in reader.milestone_data.dated_employees():
        report.examined += 1
        plan = plans.get(person.timezone)
        if plan is None:
            zone = zone_for(person.timezone, options.org_timezone)
            plan = plans[person.timezone] = [
                (
                    DueCalendar(rule, zone, now, options.window, options.fire_hour),
                    rule.kind == MilestoneKind.BIRTHDAY,
                )
                for rule in dated
            ]
        for calendar, by_birth in plan:
            for occ in calendar.due(person.birth_date if by_birth else person.hire_date):
                planned.append(
                    Planned(
                        occurrence_key(person.id, occ.rule_id, occ.nominal),
                        person.id,
                        calendar.rule,
                        occ.number,
                    )
                )
    return planned


def _counted(reader: SchedulerUnitOfWork, rules: list[MilestoneRule]) -> list[Planned]:
    planned = []
    for rule in (r for r in rules if r.kind == MilestoneKind.RECOGNITION_COUNT and r.thresholds):
        for employee_id, count in reader.milestone_data.received_counts(min(rule.thresholds)):
            planned += [
                Planned(occurrence_key(employee_id, rule.id, t), employee_id, rule, t)
                for t in sorted(rule.thresholds)
                if count >= t
            ]
    return planned


def award_command(item: Planned, options: SweepOptions) -> IssueAward:
    """The award one occurrence turns into; the event carries ids and numbers only."""
    rule = item.rule
    extra = {
        "rule_id": rule.id,
        "rule_code": rule.code,
        "milestone": rule.kind.value,
        "number": item.number,
        "celebration_channel": options.celebration_channel,
    }
    return IssueAward(
        employee_ids=[item.employee_id],
        points=rule.points_for(item.number),
        reason=award_reason(rule, item.number),
        idempotency_key=item.key,
        actor="scheduler",
        kind="milestone",
        extra=extra,
    )


def _digest(cmd: IssueAward) -> str:
    # The same fingerprint issue_award computes, so a replay through it is recognised.
    return fingerprint(
        employees=sorted(cmd.employee_ids),
        points=cmd.points,
        reason=cmd.reason,
        value=cmd.value,
        kind=cmd.kind,
    )


def _award_batch(
    uow: SchedulerUnitOfWork,
    batch: list[Planned],
    clock: Clock,
    options: SweepOptions,
    started: datetime,
    report: SweepReport,
) -> None:
    commands = [award_command(item, options) for item in batch]
    lines = [
        AwardLine(cmd.idempotency_key, cmd.employee_ids[0], cmd.points, cmd.reason, _digest(cmd))
        for cmd in commands
    ]
    try:
        with uow:
            posted = uow.milestone_awards.post_many(lines, clock.now())
            uow.events.publish_many(
                "milestone.awarded",
                [
                    award_event(cmd, posted[cmd.idempotency_key])
                    for cmd in commands
                    if cmd.idempotency_key in posted
                ],
            )
            uow.commit()
    except DuplicateKey:  # someone else awarded one meanwhile: go one by one, replaying theirs
        _award_each(uow, commands, clock, started, report)
        return
    report.awarded += len(posted)
    report.failed += len(commands) - len(posted)  # left or deactivated since the scan
    report.keys += list(posted)


def award_event(cmd: IssueAward, transaction_id: int) -> dict[str, Any]:
    """The milestone.awarded payload, the same shape post_award publishes."""
    return {
        "transaction_id": transaction_id,
        "employee_ids": cmd.employee_ids,
        "points": cmd.points,
        "reason": cmd.reason,
        "value": cmd.value,
        "notify": cmd.notify,
        **(cmd.extra or {}),
    }


def _award_each(
    uow: SchedulerUnitOfWork,
    commands: Iterable[IssueAward],
    clock: Clock,
    started: datetime,
    report: SweepReport,
) -> None:
    for cmd in commands:
        try:
            txn = issue_award(uow, cmd, clock)
        except errors.DomainError as exc:
            report.failed += 1
            log.warning("milestone %s not awarded: %s", cmd.idempotency_key, exc.code)
            continue
        if txn.created_at >= started:
            report.awarded += 1
            report.keys.append(cmd.idempotency_key)
