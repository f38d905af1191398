"""Milestone rules: the seeded defaults, and listing, adding and changing rules (CLI and API)."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

from rewards import errors
from rewards.clock import Clock
from rewards.milestones import MilestoneKind, MilestoneRule
from rewards.scheduler_ports import SchedulerUnitOfWork

DEFAULT_RULES = (
    MilestoneRule(
        0,
        "work-anniversary",
        MilestoneKind.WORK_ANNIVERSARY,
        "Work anniversary",
        200,
        points_table={1: 100, 3: 300, 5: 500, 10: 1000},
    ),
    MilestoneRule(0, "birthday", MilestoneKind.BIRTHDAY, "Birthday", 50),
    MilestoneRule(0, "first-week", MilestoneKind.FIRST_WEEK, "Welcome aboard", 50),
    MilestoneRule(
        0,
        "recognition-badges",
        MilestoneKind.RECOGNITION_COUNT,
        "Recognition badge",
        50,
        points_table={10: 50, 50: 200, 100: 500},
        thresholds=(10, 50, 100),
    ),
)
EDITABLE = {f.name for f in fields(MilestoneRule)} - {"id", "created_at", "updated_at"}
MAX_POINTS = 1_000_000


class MilestoneRuleNotFound(errors.NotFound):
    code = "milestone_rule_not_found"


class InvalidMilestoneRule(errors.DomainError):
    code = "invalid_milestone_rule"
    status = 422


def ensure_default_rules(
    uow: SchedulerUnitOfWork, clock: Clock, reader: SchedulerUnitOfWork | None = None
) -> int:
    """Add each default rule whose code is not there yet; returns how many were added.

    With a `reader`, the common case (all there) is answered without a write transaction."""
    if reader is not None:
        with reader:
            have = {rule.code for rule in reader.milestone_rules.list()}
        if have >= {rule.code for rule in DEFAULT_RULES}:
            return 0
    with uow:
        have = {rule.code for rule in uow.milestone_rules.list()}
        missing = [rule for rule in DEFAULT_RULES if rule.code not in have]
        now = clock.now()
        for rule in missing:
            uow.milestone_rules.add(replace(rule, created_at=now, updated_at=now))
        uow.commit()
        return len(missing)


def list_rules(
    uow: SchedulerUnitOfWork, clock: Clock, reader: SchedulerUnitOfWork | None = None
) -> list[MilestoneRule]:
    """Every milestone rule (the defaults seeded on first use); read through `reader` if given."""
    ensure_default_rules(uow, clock, reader)
    source = reader or uow
    with source:
        return source.milestone_rules.list()


def get_rule(
    uow: SchedulerUnitOfWork, clock: Clock, rule_id: int, reader: SchedulerUnitOfWork | None = None
) -> MilestoneRule:
    """One milestone rule by id (the defaults seeded on first use)."""
    ensure_default_rules(uow, clock, reader)
    source = reader or uow
    with source:
        rule = source.milestone_rules.get(rule_id)
    if rule is None:
        raise MilestoneRuleNotFound("No such milestone rule.", rule_id=rule_id)
    return rule


def add_rule(uow: SchedulerUnitOfWork, rule: MilestoneRule, clock: Clock) -> MilestoneRule:
    """Add a milestone rule; its code must be new."""
    rule = replace(rule, **_normalised(vars(rule)))
    check_rule(rule)
    with uow:
        if uow.milestone_rules.get_by_code(rule.code) is not None:
            raise InvalidMilestoneRule(f"A rule with code {rule.code!r} exists already.")
        now = clock.now()
        added = uow.milestone_rules.add(replace(rule, id=0, created_at=now, updated_at=now))
        uow.commit()
        return added


def update_rule(
    uow: SchedulerUnitOfWork, rule_id: int, changes: dict[str, Any], clock: Clock
) -> MilestoneRule:
    """Change some fields of a rule (points, table, weekend option, active, name)."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise InvalidMilestoneRule(f"Unknown milestone rule fields: {', '.join(sorted(unknown))}.")
    with uow:
        rule = uow.milestone_rules.get(rule_id)
        if rule is None:
            raise MilestoneRuleNotFound("No such milestone rule.", rule_id=rule_id)
        if "kind" in changes and MilestoneKind(changes["kind"]) != rule.kind:
            raise InvalidMilestoneRule("A rule's kind cannot change; add a new rule instead.")
        if "code" in changes and changes["code"] != rule.code:
            raise InvalidMilestoneRule("A rule's code cannot change.")
        updated = replace(rule, **_normalised(changes), updated_at=clock.now())
        check_rule(updated)
        uow.milestone_rules.save(updated)
        uow.commit()
        return updated


def _normalised(values: dict[str, Any]) -> dict[str, Any]:
    """JSON-friendly input: {"5": 500} tables, lists of thresholds, kind names as text."""
    out = dict(values)
    if isinstance(out.get("points_table"), dict):
        out["points_table"] = {_whole(k): v for k, v in out["points_table"].items()}
    if isinstance(out.get("thresholds"), list | tuple):
        out["thresholds"] = tuple(out["thresholds"])
    if isinstance(out.get("kind"), str):
        try:
            out["kind"] = MilestoneKind(out["kind"])
        except ValueError:
            raise InvalidMilestoneRule(f"Unknown milestone kind {out['kind']!r}.") from None
    return out


def _whole(key: object) -> object:
    return int(key) if isinstance(key, str) and key.strip().isdigit() else key


def check_rule(rule: MilestoneRule) -> None:
    """Refuse a rule no award could be made from."""
    try:
        MilestoneKind(rule.kind)
    except ValueError:
        raise InvalidMilestoneRule(f"Unknown milestone kind {rule.kind!r}.") from None
    if not rule.code or not rule.code.strip() or len(rule.code) > 64:
        raise InvalidMilestoneRule("A rule needs a code of 1 to 64 characters.")
    if not rule.name or not rule.name.strip():
        raise InvalidMilestoneRule("A rule needs a name.")
    for points in (rule.points, *rule.points_table.values()):
        if isinstance(points, bool) or not isinstance(points, int) or not 1 <= points <= MAX_POINTS:
            raise InvalidMilestoneRule(f"Milestone points must be whole numbers from 1 to {MAX_POINTS}.")
    if any(not isinstance(k, int) or k < 1 for k in rule.points_table):
        raise InvalidMilestoneRule("The points table maps whole numbers of years (1 or more) to points.")
    if rule.kind == MilestoneKind.RECOGNITION_COUNT and not rule.thresholds:
        raise InvalidMilestoneRule("A recognition-count rule needs at least one threshold.")
    if any(not isinstance(t, int) or t < 1 for t in rule.thresholds):
        raise InvalidMilestoneRule("Thresholds must be whole numbers of 1 or more.")
    if not isinstance(rule.offset_days, int) or not 0 <= rule.offset_days <= 365:
        raise InvalidMilestoneRule("offset_days must be from 0 to 365.")
