"""Milestone rules and their dates: when an occurrence is due on the employee's own local date."""

from __future__ import annotations

import enum
from calendar import isleap
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_FIRE_HOUR = 9
DEFAULT_WINDOW = timedelta(days=7)


class MilestoneKind(enum.StrEnum):
    WORK_ANNIVERSARY = "work_anniversary"  # yearly on the hire date, from the first year
    BIRTHDAY = "birthday"  # yearly on the birth date
    FIRST_WEEK = "first_week"  # once, `offset_days` after the hire date
    RECOGNITION_COUNT = "recognition_count"  # once per threshold of recognitions received


DATED_KINDS = (MilestoneKind.WORK_ANNIVERSARY, MilestoneKind.BIRTHDAY, MilestoneKind.FIRST_WEEK)
YEARLY_KINDS = (MilestoneKind.WORK_ANNIVERSARY, MilestoneKind.BIRTHDAY)


@dataclass(frozen=True)
class MilestoneRule:
    """One kind of celebration and the points it brings."""

    id: int
    code: str  # stable name, e.g. "work-anniversary"
    kind: MilestoneKind
    name: str
    points: int  # points for an occurrence the table does not name
    points_table: dict[int, int] = field(default_factory=dict)  # years (or threshold) -> points
    thresholds: tuple[int, ...] = ()  # recognition counts that earn a badge
    weekend_to_friday: bool = False  # celebrate a Saturday or Sunday occurrence on the Friday
    offset_days: int = 0  # first-week rules: days after the hire date
    active: bool = True
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def points_for(self, number: int | None) -> int:
        """Points for the `number`th year (anniversaries) or threshold (badges)."""
        if number is not None and number in self.points_table:
            return self.points_table[number]
        return self.points


@dataclass(frozen=True)
class Occurrence:
    """One due celebration of a rule for an employee."""

    rule_id: int
    nominal: date  # the anniversary itself (29 Feb falls on 28 Feb in other years)
    celebrate_on: date  # nominal, or the Friday before when the rule moves weekends
    fire_at: datetime  # fire hour on celebrate_on in the employee's zone, in UTC
    number: int | None = None  # years since the anchor, or the recognition threshold


def zone_for(employee_tz: str | None, org_tz: str) -> ZoneInfo:
    """The employee's zone, else the organisation's (an unknown name counts as missing)."""
    for name in (employee_tz, org_tz):
        if name:
            found = _zone(name)
            if found is not None:
                return found
    return ZoneInfo("UTC")


@lru_cache(maxsize=1024)
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def anniversary(anchor: date, year: int) -> date:
    """The anchor's month and day in `year`; 29 February becomes 28 February in common years."""
    if anchor.month == 2 and anchor.day == 29 and not isleap(year):
        return date(year, 2, 28)
    return anchor.replace(year=year)


def celebration_day(nominal: date, weekend_to_friday: bool) -> date:
    """The day to celebrate: the Friday before a weekend occurrence when the rule says so."""
    weekday = nominal.weekday()
    if weekend_to_friday and weekday >= 5:
        return nominal - timedelta(days=weekday - 4)
    return nominal


def fire_time(day: date, zone: ZoneInfo, hour: int = DEFAULT_FIRE_HOUR) -> datetime:
    """`hour`:00 local on `day`, as a UTC instant."""
    return datetime.combine(day, time(hour), tzinfo=zone).astimezone(UTC)


def is_due(fire_at: datetime, now: datetime, window: timedelta) -> bool:
    """Due from its fire time on, and for `window` after it (catch-up), never before."""
    return fire_at <= now < fire_at + window


def nominal_dates(rule: MilestoneRule, anchor: date, around: date) -> list[tuple[date, int | None]]:
    """The rule's occurrences (date, years) near `around` (a year either side) for this anchor."""
    if rule.kind == MilestoneKind.FIRST_WEEK:
        return [(anchor + timedelta(days=rule.offset_days), None)]
    if rule.kind not in YEARLY_KINDS:
        return []
    found: list[tuple[date, int | None]] = []
    for year in (around.year - 1, around.year, around.year + 1):
        if year > anchor.year:
            found.append((anniversary(anchor, year), year - anchor.year))
    return found


def occurrences_due(
    rule: MilestoneRule,
    anchor: date | None,
    zone: ZoneInfo,
    now: datetime,
    window: timedelta = DEFAULT_WINDOW,
    hour: int = DEFAULT_FIRE_HOUR,
) -> list[Occurrence]:
    """Every occurrence of a dated rule due at `now` for an employee with this anchor date."""
    if anchor is None or not rule.active:
        return []
    local_today = now.astimezone(zone).date()
    due = []
    for nominal, number in nominal_dates(rule, anchor, local_today):
        day = celebration_day(nominal, rule.weekend_to_friday)
        fire_at = fire_time(day, zone, hour)
        if is_due(fire_at, now, window):
            due.append(Occurrence(rule.id, nominal, day, fire_at, number))
    return due


def anchor_of(rule: MilestoneRule, hire_date: date | None, birth_date: date | None) -> date | None:
    """The date a dated rule counts from."""
    return birth_date if rule.kind == MilestoneKind.BIRTHDAY else hire_date


def occurrence_key(employee_id: str, rule_id: int, occurrence: date | int) -> str:
    """The idempotency key of one award: (employee, rule, occurrence)."""
    label = occurrence.isoformat() if isinstance(occurrence, date) else f"n{occurrence}"
    return f"milestone:{employee_id}:{rule_id}:{label}"


def award_reason(rule: MilestoneRule, number: int | None) -> str:
    """The text a person reads on the ledger line."""
    if rule.kind == MilestoneKind.WORK_ANNIVERSARY and number:
        return f"{rule.name}: {number} year{'s' if number != 1 else ''}"
    if rule.kind == MilestoneKind.RECOGNITION_COUNT and number:
        return f"{rule.name}: {number} recognitions received"
    return rule.name
