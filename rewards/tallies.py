"""Recognition tallies: the units of time a moment falls in, and what a recognition adds to each."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from rewards.model import Recognition

GRAINS = ("day", "week", "month", "quarter", "year", "all")
ALL_STARTS = date(1970, 1, 1)
RECEIVED = "received"
GIVEN = "given"
# Which grains each role keeps, and which of them also per value ('' is every value): only what
# a read asks for (each row is written by every give). Received: the leaderboard's windows, also
# per value, and the report's pieces. Given: the report by giver and by value (days, months,
# years) and the all-time program totals (every value only).
RECEIVED_GRAINS = ("day", "week", "month", "quarter", "year", "all")
RECEIVED_BY_VALUE = ("week", "month", "quarter", "year", "all")
GIVEN_GRAINS = ("day", "month", "year", "all")
GIVEN_BY_VALUE = ("day", "month", "year")
TallyKey = tuple[str, date, str, str, str]  # grain, starts, role, value, employee id


@dataclass(frozen=True)
class TallyDelta:
    """What one recognition adds to (or, taken back, subtracts from) one tally row."""

    grain: str
    starts: date
    role: str
    value: str
    employee_id: str
    recognitions: int
    points: int

    @property
    def key(self) -> TallyKey:
        return (self.grain, self.starts, self.role, self.value, self.employee_id)


def unit_start(day: date, grain: str) -> date:
    """The first local day of the unit of `grain` containing `day`."""
    if grain == "day":
        return day
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    if grain == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    if grain == "year":
        return date(day.year, 1, 1)
    if grain == "all":
        return ALL_STARTS
    raise ValueError(f"unknown tally grain {grain!r}")


def tally_units(created_at: datetime, timezone: str) -> dict[str, date]:
    """The start of each unit (day, week, month, quarter, year, all) that `created_at` falls in,
    cut on the local calendar of `timezone` (a naive time is taken as UTC)."""
    if created_at.tzinfo is None:
        created_at = created_at.replace(tzinfo=ZoneInfo("UTC"))
    day = created_at.astimezone(ZoneInfo(timezone)).date()
    return {grain: unit_start(day, grain) for grain in GRAINS}


class TallyRows(dict[TallyKey, tuple[int, int]]):
    """A recognition's tally rows (key → (recognitions, points)) cut in `timezone`, which can be
    cut again in another zone: the store writes them in the zone its tallies were built in."""

    def __init__(self, recognition: Recognition, timezone: str, sign: int) -> None:
        super().__init__(_rows(recognition, timezone, sign))
        self.recognition, self.timezone, self.sign = recognition, timezone, sign

    def in_zone(self, timezone: str) -> TallyRows:
        """The same recognition's rows cut in `timezone` (these rows if it is theirs)."""
        return self if timezone == self.timezone else TallyRows(self.recognition, timezone, self.sign)


def tally_rows(recognition: Recognition, timezone: str, sign: int = 1) -> TallyRows:
    """What a recognition adds to (`sign` 1) or takes back from (`sign` -1) each tally row:
    key → (recognitions, points), cut in `timezone` unless the store's tallies were built in
    another zone (see TallyRows). The rows are the ones `deltas` lists, made without objects
    (this runs inside every give)."""
    if sign not in (1, -1):
        raise ValueError("sign is 1 or -1")
    return TallyRows(recognition, timezone, sign)


def _rows(recognition: Recognition, timezone: str, sign: int) -> dict[TallyKey, tuple[int, int]]:
    units = tally_units(recognition.created_at, timezone)
    values = ("", recognition.value) if recognition.value else ("",)
    rows: dict[TallyKey, tuple[int, int]] = {}
    received = (sign, sign * recognition.points_each)
    for recipient in recognition.recipient_ids:
        for grain in RECEIVED_GRAINS:
            for value in values if grain in RECEIVED_BY_VALUE else ("",):
                rows[(grain, units[grain], RECEIVED, value, recipient)] = received
    given = (sign, sign * recognition.points_each * len(recognition.recipient_ids))
    for grain in GIVEN_GRAINS:
        for value in values if grain in GIVEN_BY_VALUE else ("",):
            rows[(grain, units[grain], GIVEN, value, recognition.giver_id)] = given
    return rows


def deltas(recognition: Recognition, timezone: str, sign: int = 1) -> list[TallyDelta]:
    """The tally rows a recognition adds to (`sign` 1) or takes back from (`sign` -1)."""
    return [TallyDelta(*key, n, p) for key, (n, p) in tally_rows(recognition, timezone, sign).items()]


def combine(changes: Iterable[TallyDelta]) -> dict[TallyKey, tuple[int, int]]:
    """Deltas summed per row: key → (recognitions, points)."""
    totals: dict[TallyKey, tuple[int, int]] = {}
    for change in changes:
        n, p = totals.get(change.key, (0, 0))
        totals[change.key] = (n + change.recognitions, p + change.points)
    return totals
