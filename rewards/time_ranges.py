"""A range of time cut into whole local days, months and years and partial days at its edges: as a
tiling (`tile`), or as signed pieces that add and subtract to it and read less (`signed_tile`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

PART = "part"  # a piece of one local day that is not the whole day
WHOLE_GRAINS = ("day", "month", "year")
# Roughly how many tally rows a unit reads compared with a day's; a part reads a day's recognitions.
WEIGHTS = {"year": 10, "quarter": 8, "month": 6, "day": 1, PART: 2}


@dataclass(frozen=True)
class Piece:
    """[start, end) in UTC: a whole local unit (`grain` day, month or year beginning on the local date
    `starts`), or a part of the local day `starts` (`grain` "part"); counted `sign` times (+1 or -1)."""

    grain: str
    starts: date
    start: datetime
    end: datetime
    sign: int = 1  # -1: the piece is subtracted (see `signed_tile`)

    @property
    def whole(self) -> bool:
        return self.grain != PART


# The calendar the tallies are cut on: no recognition lies outside it, and staying inside keeps
# every local date and its neighbours representable (year 1 or 9999 in some zone would not be).
CALENDAR = (datetime(1900, 1, 1, tzinfo=UTC), datetime(9000, 1, 1, tzinfo=UTC))


def _within_calendar(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """[start, end) in UTC, cut to `CALENDAR` (a range outside it is empty)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be aware datetimes")
    low, high = CALENDAR
    return min(max(start, low), high).astimezone(UTC), max(min(end, high), low).astimezone(UTC)


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """The first instant (UTC) whose local date in `zone` is `day`."""
    # fold=0 takes the offset in force before a transition: for a midnight skipped by a DST jump
    # that is the jump's own instant, and for a midnight seen twice it is the first one.
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def tile(start: datetime, end: datetime, timezone: str) -> list[Piece]:
    """Cut [start, end) into a partial head day, whole days, months, years, months, days and a
    partial tail day of `timezone`'s calendar: the fewest pieces, in order, that cover it exactly."""
    start, end = _within_calendar(start, end)
    zone = ZoneInfo(timezone)
    if end <= start:
        return []
    first, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    if first == last:  # inside one local day (the range ends before the next one begins)
        return [Piece(PART, first, start, end)]
    pieces: list[Piece] = []
    whole_from = first
    if start != day_start(first, zone):
        whole_from = first + timedelta(days=1)
        pieces.append(Piece(PART, first, start, day_start(whole_from, zone)))
    pieces += _whole_units(whole_from, last, zone)
    tail_start = day_start(last, zone)
    if end != tail_start:
        pieces.append(Piece(PART, last, tail_start, end))
    return [piece for piece in pieces if piece.start < piece.end]  # a day a zone skipped is empty


def _whole_units(first: date, stop: date, zone: ZoneInfo) -> list[Piece]:
    """The local dates [first, stop) as the largest aligned years, months and days that fit."""
    pieces: list[Piece] = []
    day = first
    while day < stop:
        grain, following = "day", day + timedelta(days=1)
        if day.day == 1:
            if day.month == 1 and date(day.year + 1, 1, 1) <= stop:
                grain, following = "year", date(day.year + 1, 1, 1)
            elif _next_month(day) <= stop:
                grain, following = "month", _next_month(day)
        pieces.append(Piece(grain, day, day_start(day, zone), day_start(following, zone)))
        day = following
    return pieces


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def signed_tile(
    start: datetime, end: datetime, timezone: str, *, now: datetime | None = None, quarters: bool = False
) -> list[Piece]:
    """Pieces whose signed sum is [start, end): each instant of the range lies in pieces whose signs
    add to 1, every other instant in pieces whose signs add to 0. A partial year (month, day) is read
    either as its months (days, part) or as the whole unit minus the rest, whichever reads less
    (`WEIGHTS`; a piece that begins at or after `now` holds nothing yet and costs nothing). With
    `quarters`, years hold quarters and quarters months."""
    start, end = _within_calendar(start, end)
    if end <= start:
        return []
    levels = ("year", "quarter", "month", "day") if quarters else ("year", "month", "day")
    cover = _Cover(ZoneInfo(timezone), None if now is None else now.astimezone(UTC), levels)
    return [piece for piece in cover.of(start, end, 0) if piece.start < piece.end]


class _Cover:
    """The cheapest signed cover of a range, level by level (years, [quarters,] months, days, parts)."""

    def __init__(
        self, zone: ZoneInfo, now: datetime | None, levels: tuple[str, ...] = ("year", "month", "day")
    ):
        self.zone, self.now, self.levels = zone, now, levels

    def cost(self, pieces: list[Piece]) -> int:
        future = self.now
        return sum(
            0 if p.start >= p.end or (future is not None and p.start >= future) else WEIGHTS[p.grain]
            for p in pieces
        )

    def cheaper(self, *options: list[Piece]) -> list[Piece]:
        return min(options, key=self.cost)  # the first of equals: the plain tiling

    def unit(self, moment: datetime, level: int) -> Piece:
        """The whole unit of `self.levels[level]` holding `moment`."""
        grain, day = self.levels[level], moment.astimezone(self.zone).date()
        quarter = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        first = {"year": date(day.year, 1, 1), "quarter": quarter, "month": day.replace(day=1), "day": day}[
            grain
        ]
        following = {
            "year": date(first.year + 1, 1, 1),
            "quarter": _next_month(_next_month(_next_month(first))),
            "month": _next_month(first),
        }.get(grain, first + timedelta(days=1))
        return Piece(grain, first, day_start(first, self.zone), day_start(following, self.zone))

    def of(self, start: datetime, end: datetime, level: int) -> list[Piece]:
        """[start, end) from units of `self.levels[level]` and finer, signed."""
        if start >= end:
            return []
        if level == len(self.levels):  # inside one local day
            return [Piece(PART, start.astimezone(self.zone).date(), start, end)]
        head = self.unit(start, level)
        tail = self.unit(end - timedelta(microseconds=1), level)
        if head.starts == tail.starts:
            if (start, end) == (head.start, head.end):
                return [head]
            return self.cheaper(
                self.of(start, end, level + 1),
                [
                    head,
                    *_minus(self.of(head.start, start, level + 1)),
                    *_minus(self.of(end, head.end, level + 1)),
                ],
            )
        pieces = self.edge(head, start, head.end, level) if start != head.start else [head]
        middle = head.end
        while middle < tail.start:
            unit = self.unit(middle, level)
            pieces.append(unit)
            middle = unit.end
        return pieces + (self.edge(tail, tail.start, end, level) if end != tail.end else [tail])

    def edge(self, unit: Piece, start: datetime, end: datetime, level: int) -> list[Piece]:
        """The part [start, end) of `unit` that reaches one of its ends: its finer units, or the unit
        minus the rest of it."""
        rest = (
            self.of(unit.start, start, level + 1)
            if start != unit.start
            else self.of(end, unit.end, level + 1)
        )
        return self.cheaper(self.of(start, end, level + 1), [unit, *_minus(rest)])


def _minus(pieces: list[Piece]) -> list[Piece]:
    return [Piece(p.grain, p.starts, p.start, p.end, -p.sign) for p in pieces]
