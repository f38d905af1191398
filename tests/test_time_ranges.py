"""Cutting a range into whole local days, months and years: the pieces tile it exactly, in any zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewards.time_ranges import CALENDAR, PART, _Cover, day_start, signed_tile, tile

ZONES = [
    "UTC",
    "Europe/Paris",
    "America/New_York",
    "Australia/Lord_Howe",  # a half-hour DST shift
    "America/Santiago",  # DST changes at local midnight
    "Asia/Kathmandu",  # +05:45
    "Pacific/Apia",  # skipped 2011-12-30 entirely
    "America/Havana",  # DST at midnight
]
NY = "America/New_York"

instants = st.datetimes(
    min_value=datetime(2009, 1, 1), max_value=datetime(2029, 12, 31), timezones=st.just(UTC)
)


def local(moment: datetime, zone: str) -> date:
    return moment.astimezone(ZoneInfo(zone)).date()


def unit_of(day: date, grain: str) -> date:
    quarter = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return {"day": day, "month": day.replace(day=1), "quarter": quarter, "year": date(day.year, 1, 1)}[grain]


def next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def at(text: str, zone: str = NY) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


@settings(max_examples=400, deadline=None)
@given(a=instants, b=instants, zone=st.sampled_from(ZONES), probes=st.lists(st.floats(0, 1), max_size=8))
def test_pieces_tile_the_range_and_each_whole_piece_is_its_local_unit(a, b, zone, probes):
    start, end = min(a, b), max(a, b)
    pieces = tile(start, end, zone)
    if start == end:
        assert pieces == []
        return
    assert pieces[0].start == start and pieces[-1].end == end
    for before, after in zip(pieces, pieces[1:], strict=False):
        assert before.end == after.start  # no gap, no overlap
    for piece in pieces:
        assert piece.start < piece.end
        if piece.grain == PART:
            last = local(piece.end - timedelta(microseconds=1), zone)
            assert local(piece.start, zone) == piece.starts == last
        else:
            # The piece holds exactly the instants whose local date falls in the unit.
            assert unit_of(local(piece.start, zone), piece.grain) == piece.starts
            assert local(piece.start - timedelta(microseconds=1), zone) < piece.starts
            last = local(piece.end - timedelta(microseconds=1), zone)
            assert unit_of(last, piece.grain) == piece.starts
            assert local(piece.end, zone) > last
    parts = [p for p in pieces if p.grain == PART]
    assert len(parts) <= 2 and all(p in (pieces[0], pieces[-1]) for p in parts)
    for fraction in probes:  # every instant of the range lies in exactly one piece
        moment = start + (end - start) * fraction
        if moment < end:
            assert sum(p.start <= moment < p.end for p in pieces) == 1


@settings(max_examples=200, deadline=None)
@given(a=instants, b=instants, zone=st.sampled_from(ZONES))
def test_the_whole_units_are_the_fewest(a, b, zone):
    """Greedy years, then months, then days: no run of whole days or months could be a bigger unit."""
    pieces = [p for p in tile(min(a, b), max(a, b), zone) if p.grain != PART]
    grains = [p.grain for p in pieces]
    order = {"day": 0, "month": 1, "year": 2}
    peak = max((order[g] for g in grains), default=0)
    rising = grains[: next((i for i, g in enumerate(grains) if order[g] == peak), 0)]
    assert all(order[x] <= order[y] for x, y in zip(rising, rising[1:], strict=False))
    by_month: dict[date, int] = {}
    by_year: dict[int, int] = {}
    for piece in pieces:
        if piece.grain == "day":
            by_month[piece.starts.replace(day=1)] = by_month.get(piece.starts.replace(day=1), 0) + 1
        if piece.grain == "month":
            by_year[piece.starts.year] = by_year.get(piece.starts.year, 0) + 1
    # A whole month of days would be one month, twelve whole months one year.
    assert all(n < (next_month(first) - first).days for first, n in by_month.items())
    assert all(n < 12 for n in by_year.values())


def test_a_year_long_range_mid_day():
    pieces = tile(at("2025-03-15T10:30"), at("2026-03-15T09:00"), NY)
    grains = [p.grain for p in pieces]
    assert grains == ["part"] + ["day"] * 16 + ["month"] * 9 + ["month"] * 2 + ["day"] * 14 + ["part"]
    assert pieces[0].starts == date(2025, 3, 15) and pieces[-1].starts == date(2026, 3, 15)
    assert pieces[17].starts == date(2025, 4, 1) and pieces[26].starts == date(2026, 1, 1)


def test_whole_years_and_the_fewest_pieces():
    pieces = tile(at("2024-01-01T00:00"), at("2026-02-01T00:00"), NY)
    assert [(p.grain, p.starts) for p in pieces] == [
        ("year", date(2024, 1, 1)),
        ("year", date(2025, 1, 1)),
        ("month", date(2026, 1, 1)),
    ]
    assert pieces[0].start == datetime(2024, 1, 1, 5, tzinfo=UTC)


def test_a_range_inside_one_day_is_one_part():
    pieces = tile(at("2026-03-08T00:00"), at("2026-03-08T12:00"), NY)  # the spring-forward day
    assert [(p.grain, p.starts) for p in pieces] == [(PART, date(2026, 3, 8))]
    assert pieces[0].end - pieces[0].start == timedelta(hours=11)


def test_dst_days_are_23_and_25_hours_long():
    spring = tile(at("2026-03-08T00:00"), at("2026-03-09T00:00"), NY)
    autumn = tile(at("2026-11-01T00:00"), at("2026-11-02T00:00"), NY)
    assert [(p.grain, p.end - p.start) for p in spring] == [("day", timedelta(hours=23))]
    assert [(p.grain, p.end - p.start) for p in autumn] == [("day", timedelta(hours=25))]


def test_a_day_that_starts_at_one_because_midnight_was_skipped():
    zone = "America/Santiago"  # 2026-09-06: 00:00 jumps to 01:00
    assert day_start(date(2026, 9, 6), ZoneInfo(zone)) == datetime(2026, 9, 6, 4, tzinfo=UTC)
    assert local(datetime(2026, 9, 6, 4, tzinfo=UTC), zone) == date(2026, 9, 6)
    assert local(datetime(2026, 9, 6, 3, 59, tzinfo=UTC), zone) == date(2026, 9, 5)


def test_edges_from_one_midnight_to_the_next_and_empty_ranges():
    one_day = tile(at("2026-05-04T00:00"), at("2026-05-05T00:00"), NY)
    assert [(p.grain, p.starts) for p in one_day] == [("day", date(2026, 5, 4))]
    head_only = tile(at("2026-05-04T08:00"), at("2026-05-05T00:00"), NY)
    assert [(p.grain, p.starts) for p in head_only] == [(PART, date(2026, 5, 4))]
    assert tile(at("2026-05-04T08:00"), at("2026-05-04T08:00"), NY) == []
    assert tile(at("2026-05-04T08:00"), at("2026-05-03T08:00"), NY) == []


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        tile(datetime(2026, 1, 1), datetime(2026, 2, 1), NY)


def signed_count(pieces, moment: datetime) -> int:
    return sum(p.sign for p in pieces if p.start <= moment < p.end)


@settings(max_examples=400, deadline=None)
@given(
    a=instants,
    b=instants,
    now=st.one_of(st.none(), instants),
    zone=st.sampled_from(ZONES),
    probes=st.lists(st.floats(0, 1), max_size=8),
    quarters=st.booleans(),
)
def test_signed_pieces_count_each_instant_of_the_range_once_and_every_other_never(
    a, b, now, zone, probes, quarters
):
    start, end = min(a, b), max(a, b)
    pieces = signed_tile(start, end, zone, now=now, quarters=quarters)
    if start == end:
        assert pieces == []
        return
    for piece in pieces:
        assert piece.start < piece.end and piece.sign in (1, -1)
        if piece.grain == PART:
            assert (
                local(piece.start, zone) == piece.starts == local(piece.end - timedelta(microseconds=1), zone)
            )
        else:  # a whole local unit, as the tallies cut it
            assert unit_of(local(piece.start, zone), piece.grain) == piece.starts
            assert local(piece.start - timedelta(microseconds=1), zone) < piece.starts
            assert unit_of(local(piece.end - timedelta(microseconds=1), zone), piece.grain) == piece.starts
            assert local(piece.end, zone) > local(piece.end - timedelta(microseconds=1), zone)
    tiny = timedelta(microseconds=1)
    edges = {p.start for p in pieces} | {p.end for p in pieces}
    moments = edges | {e - tiny for e in edges} | {start + (end - start) * f for f in probes}
    for moment in moments:  # every edge, either side of it, and random instants
        assert signed_count(pieces, moment) == (1 if start <= moment < end else 0), moment


@settings(max_examples=200, deadline=None)
@given(a=instants, b=instants, now=st.one_of(st.none(), instants), zone=st.sampled_from(ZONES))
def test_signed_pieces_never_cost_more_than_the_tiling(a, b, now, zone):
    start, end = min(a, b), max(a, b)
    cost = _Cover(ZoneInfo(zone), now).cost
    assert cost(signed_tile(start, end, zone, now=now)) <= cost(tile(start, end, zone))


def test_a_rolling_year_up_to_now_is_last_year_s_end_and_this_year_minus_the_future():
    now = at("2026-11-27T10:00")
    pieces = signed_tile(at("2025-11-27T10:00"), now, NY, now=now)
    assert [(p.grain, p.starts, p.sign) for p in pieces] == [
        (PART, date(2025, 11, 27), 1),
        ("day", date(2025, 11, 28), 1),
        ("day", date(2025, 11, 29), 1),
        ("day", date(2025, 11, 30), 1),
        ("month", date(2025, 12, 1), 1),
        ("year", date(2026, 1, 1), 1),
        (PART, date(2026, 11, 27), -1),  # the future from here on: nothing to read
        ("day", date(2026, 11, 28), -1),
        ("day", date(2026, 11, 29), -1),
        ("day", date(2026, 11, 30), -1),
        ("month", date(2026, 12, 1), -1),
    ]


def test_without_now_a_partial_month_near_its_end_is_the_month_minus_its_last_days():
    pieces = signed_tile(at("2026-05-01T00:00"), at("2026-05-30T00:00"), NY)
    assert [(p.grain, p.starts, p.sign) for p in pieces] == [
        ("month", date(2026, 5, 1), 1),
        ("day", date(2026, 5, 30), -1),
        ("day", date(2026, 5, 31), -1),
    ]
    assert signed_tile(at("2026-05-04T08:00"), at("2026-05-04T09:00"), NY) == tile(
        at("2026-05-04T08:00"), at("2026-05-04T09:00"), NY
    )


def test_with_quarters_this_quarter_up_to_now_is_the_quarter_minus_the_future():
    now = at("2026-11-27T10:00")
    pieces = signed_tile(at("2026-10-01T00:00"), now, NY, now=now, quarters=True)
    assert [(p.grain, p.starts, p.sign) for p in pieces][:2] == [
        ("quarter", date(2026, 10, 1), 1),
        (PART, date(2026, 11, 27), -1),
    ]
    assert all(p.start >= now for p in pieces[1:])  # what is taken off is still to come
    without = signed_tile(at("2026-10-01T00:00"), now, NY, now=now)
    assert [(p.grain, p.starts) for p in without][:2] == [
        ("month", date(2026, 10, 1)),
        ("month", date(2026, 11, 1)),
    ]


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00"),
        ("0001-01-01T00:00:00+00:00", "0001-01-02T00:00:00+00:00"),
        ("9999-12-30T00:00:00-05:00", "9999-12-31T23:59:59-05:00"),
        ("1899-12-31T00:00:00+00:00", "1900-01-02T00:00:00+00:00"),
    ],
)
def test_a_range_at_the_ends_of_time_is_cut_to_the_calendar(start, end):
    first, last = datetime.fromisoformat(start), datetime.fromisoformat(end)
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC"):
        for pieces in (tile(first, last, zone), signed_tile(first, last, zone, quarters=True)):
            # no error, and nothing far outside: a signed cover may subtract the rest of a year
            slack = timedelta(days=400)
            assert all(CALENDAR[0] - slack <= p.start < p.end <= CALENDAR[1] + slack for p in pieces)
