"""Milestone dates: the employee's own local date, 9:00 local, 29 February, weekends, catch-up."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from rewards.milestone_calendar import DueCalendar
from rewards.milestones import (
    MilestoneKind,
    MilestoneRule,
    anniversary,
    celebration_day,
    occurrences_due,
    zone_for,
)

ZONES = [
    "Pacific/Auckland",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "UTC",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "Europe/London",
]
ANNIVERSARY = MilestoneRule(1, "a", MilestoneKind.WORK_ANNIVERSARY, "Work anniversary", 10)
BIRTHDAY = MilestoneRule(2, "b", MilestoneKind.BIRTHDAY, "Birthday", 10)
WELCOME = MilestoneRule(3, "w", MilestoneKind.FIRST_WEEK, "Welcome", 10, offset_days=2)

anchors = st.dates(min_value=date(1960, 1, 1), max_value=date(2030, 12, 31))
instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
)
rules = st.sampled_from([ANNIVERSARY, BIRTHDAY, WELCOME]).flatmap(
    lambda r: st.booleans().map(lambda w: MilestoneRule(**{**r.__dict__, "weekend_to_friday": w}))
)
windows = st.integers(min_value=0, max_value=30).map(lambda d: timedelta(days=d, hours=1))


def test_29_february_falls_on_28_february_in_common_years():
    leap = date(2024, 2, 29)
    assert anniversary(leap, 2025) == date(2025, 2, 28)
    assert anniversary(leap, 2028) == date(2028, 2, 29)
    assert anniversary(date(2023, 3, 1), 2024) == date(2024, 3, 1)


def test_weekend_moves_to_the_friday_before_only_when_the_rule_says_so():
    saturday, sunday = date(2026, 3, 7), date(2026, 3, 8)
    assert celebration_day(saturday, True) == date(2026, 3, 6)
    assert celebration_day(sunday, True) == date(2026, 3, 6)
    assert celebration_day(sunday, False) == sunday
    assert celebration_day(date(2026, 3, 4), True) == date(2026, 3, 4)


def test_an_unknown_zone_falls_back_to_the_organisation():
    assert zone_for("Mars/Olympus", "Asia/Kolkata").key == "Asia/Kolkata"
    assert zone_for(None, "UTC").key == "UTC"


def test_auckland_anniversary_fires_at_9_local_which_is_the_previous_evening_in_utc():
    zone = ZoneInfo("Pacific/Auckland")
    hired = date(2020, 6, 15)
    before = datetime(2026, 6, 14, 20, 59, tzinfo=UTC)  # 8:59 on 15 June in Auckland (NZST)
    assert occurrences_due(ANNIVERSARY, hired, zone, before) == []
    (occ,) = occurrences_due(ANNIVERSARY, hired, zone, before + timedelta(minutes=1))
    assert occ.nominal == date(2026, 6, 15) and occ.number == 6


def test_los_angeles_is_never_a_day_early_because_of_utc():
    zone = ZoneInfo("America/Los_Angeles")
    # 15 June 2026 02:00 UTC is still 14 June in Los Angeles.
    assert occurrences_due(BIRTHDAY, date(1990, 6, 15), zone, datetime(2026, 6, 15, 2, 0, tzinfo=UTC)) == []


@settings(max_examples=300, deadline=None)
@given(rule=rules, anchor=anchors, now=instants, zone=st.sampled_from(ZONES), window=windows)
def test_due_occurrences_are_never_early_and_never_past_the_window(rule, anchor, now, zone, window):
    tz = ZoneInfo(zone)
    for occ in occurrences_due(rule, anchor, tz, now, window):
        local_fire = occ.fire_at.astimezone(tz)
        assert local_fire.date() == occ.celebrate_on and local_fire.hour == 9
        assert occ.fire_at <= now < occ.fire_at + window
        assert occ.celebrate_on <= occ.nominal <= occ.celebrate_on + timedelta(days=2)
        assert occ.celebrate_on.weekday() < 5 or not rule.weekend_to_friday
        if rule.kind != MilestoneKind.FIRST_WEEK:
            assert occ.number == occ.nominal.year - anchor.year >= 1
            same_day = (occ.nominal.month, occ.nominal.day) == (anchor.month, anchor.day)
            assert same_day or (anchor.month, anchor.day, occ.nominal.day) == (2, 29, 28)


@settings(max_examples=300, deadline=None)
@given(rule=rules, anchor=anchors, now=instants, zone=st.sampled_from(ZONES), window=windows)
def test_the_fast_calendar_finds_exactly_what_the_plain_rules_find(rule, anchor, now, zone, window):
    tz = ZoneInfo(zone)
    assert DueCalendar(rule, tz, now, window).due(anchor) == occurrences_due(rule, anchor, tz, now, window)


@settings(max_examples=60, deadline=None)
@given(anchor=anchors, zone=st.sampled_from(ZONES), rule=rules)
def test_walking_hour_by_hour_through_a_year_each_yearly_occurrence_is_due_in_one_stretch(anchor, zone, rule):
    tz = ZoneInfo(zone)
    seen: dict[date, list[datetime]] = {}
    start = datetime(2027, 1, 1, tzinfo=UTC)
    for hour in range(0, 366 * 24, 6):
        now = start + timedelta(hours=hour)
        for occ in occurrences_due(rule, anchor, tz, now, timedelta(days=1)):
            seen.setdefault(occ.nominal, []).append(now)
            assert now.astimezone(tz).date() >= occ.celebrate_on
    if rule.kind != MilestoneKind.FIRST_WEEK and anchor.year < 2026:
        nominal = anniversary(anchor, 2027)
        if nominal.month > 1 or nominal.day > 3:  # well inside the walked year
            assert nominal in seen
