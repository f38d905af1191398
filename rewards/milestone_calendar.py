"""A fast index of due occurrences: per rule and zone, which anchor dates are due right now.

A sweep over many employees builds one calendar per (rule, zone) and then finds each employee's
due occurrences with a dictionary lookup instead of date arithmetic per employee.
"""

from __future__ import annotations

import math
from calendar import isleap
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from rewards.milestones import (
    DEFAULT_FIRE_HOUR,
    MilestoneKind,
    MilestoneRule,
    Occurrence,
    celebration_day,
    fire_time,
    is_due,
)

Entry = tuple[date, date, datetime]  # nominal date, celebration day, fire time


class DueCalendar:
    """The occurrences of one dated rule due at `now` in one zone, keyed by anchor."""

    def __init__(
        self,
        rule: MilestoneRule,
        zone: ZoneInfo,
        now: datetime,
        window: timedelta,
        hour: int = DEFAULT_FIRE_HOUR,
    ) -> None:
        self.rule = rule
        self.yearly = rule.kind in (MilestoneKind.WORK_ANNIVERSARY, MilestoneKind.BIRTHDAY)
        self._by_key: dict[object, list[Entry]] = {}
        today = now.astimezone(zone).date()
        span = math.ceil(window.total_seconds() / 86400) + 3  # weekends move at most 2 days
        for offset in range(-span, 4):
            nominal = today + timedelta(days=offset)
            day = celebration_day(nominal, rule.weekend_to_friday)
            fire_at = fire_time(day, zone, hour)
            if is_due(fire_at, now, window):
                for key in self._keys(nominal):
                    self._by_key.setdefault(key, []).append((nominal, day, fire_at))

    def _keys(self, nominal: date) -> list[object]:
        if not self.yearly:
            return [nominal - timedelta(days=self.rule.offset_days)]  # the hire date it needs
        keys: list[object] = [nominal.month * 100 + nominal.day]
        if nominal.month == 2 and nominal.day == 28 and not isleap(nominal.year):
            keys.append(229)  # 29 February anchors celebrate on 28 February
        return keys

    def __bool__(self) -> bool:
        return bool(self._by_key)

    def due(self, anchor: date | None) -> list[Occurrence]:
        """This anchor's due occurrences (none before the first anniversary)."""
        if anchor is None:
            return []
        entries = self._by_key.get(anchor.month * 100 + anchor.day if self.yearly else anchor)
        if not entries:
            return []
        found = []
        for nominal, day, fire_at in entries:
            number = nominal.year - anchor.year if self.yearly else None
            if number is None or number >= 1:
                found.append(Occurrence(self.rule.id, nominal, day, fire_at, number))
        return found
