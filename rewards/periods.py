"""Allowance periods: the key naming the current period and when the next one starts."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo


def period_start(day: date, period: str) -> date:
    """The first day of the period (weekly: Monday; monthly; quarterly) containing `day`."""
    if period == "weekly":
        return day - timedelta(days=day.weekday())
    if period == "quarterly":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return date(day.year, day.month, 1)


def next_period_start(day: date, period: str) -> date:
    start = period_start(day, period)
    if period == "weekly":
        return start + timedelta(days=7)
    months = 3 if period == "quarterly" else 1
    month_index = start.month - 1 + months
    return date(start.year + month_index // 12, month_index % 12 + 1, 1)


def period_key(day: date, period: str) -> str:
    """A stable name for the period containing `day`: "2026-W48", "2026-11", "2026-Q4"."""
    if period == "weekly":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "quarterly":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}"


def local_date(now: datetime, tz_name: str) -> date:
    return now.astimezone(ZoneInfo(tz_name)).date()
