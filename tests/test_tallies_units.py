"""The units of time a recognition is tallied in, and the rows it adds (pure)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from rewards.model import Recognition
from rewards.tallies import ALL_STARTS, combine, deltas, tally_rows, tally_units

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"


def units(y, mo, d, h, mi, tz, zone_of_time="UTC"):
    return tally_units(datetime(y, mo, d, h, mi, tzinfo=ZoneInfo(zone_of_time)), tz)


def test_units_of_an_ordinary_moment():
    assert units(2026, 11, 26, 12, 0, "UTC") == {
        "day": date(2026, 11, 26),
        "week": date(2026, 11, 23),  # a Thursday: its Monday
        "month": date(2026, 11, 1),
        "quarter": date(2026, 10, 1),
        "year": date(2026, 1, 1),
        "all": ALL_STARTS,
    }


def test_new_year_in_the_organisations_zone_not_utc():
    # 23:30 UTC on 31 December is already 1 January in Berlin: a new day, quarter and year,
    # and the week of Monday 29 December.
    found = units(2026, 12, 31, 23, 30, BERLIN)
    assert found["day"] == date(2027, 1, 1)
    assert found["quarter"] == date(2027, 1, 1)
    assert found["year"] == date(2027, 1, 1)
    assert found["week"] == date(2026, 12, 28)
    # and in New York it is still the old year.
    assert units(2027, 1, 1, 3, 0, NEW_YORK)["year"] == date(2026, 1, 1)


@pytest.mark.parametrize(
    ("month", "quarter"), [(1, 1), (2, 1), (3, 1), (4, 4), (6, 4), (7, 7), (9, 7), (10, 10), (12, 10)]
)
def test_quarters(month, quarter):
    assert units(2026, month, 15, 12, 0, "UTC")["quarter"] == date(2026, quarter, 1)


def test_dst_edges_keep_the_local_date():
    # Berlin springs forward on 29 March 2026 at 01:00 UTC and falls back on 25 October at 01:00 UTC.
    assert units(2026, 3, 29, 0, 30, BERLIN)["day"] == date(2026, 3, 29)  # 01:30 CET
    assert units(2026, 3, 28, 22, 59, BERLIN)["day"] == date(2026, 3, 28)  # 23:59 CET
    assert units(2026, 3, 29, 22, 0, BERLIN)["day"] == date(2026, 3, 30)  # 00:00 CEST
    assert units(2026, 10, 24, 22, 0, BERLIN)["day"] == date(2026, 10, 25)  # 00:00 CEST
    assert units(2026, 10, 25, 22, 59, BERLIN)["day"] == date(2026, 10, 25)  # 23:59 CET
    assert units(2026, 10, 25, 23, 0, BERLIN)["day"] == date(2026, 10, 26)  # 00:00 CET, a Monday
    assert units(2026, 10, 25, 23, 0, BERLIN)["week"] == date(2026, 10, 26)
    # every hour across both changes maps to the date a local clock shows
    zone = ZoneInfo(BERLIN)
    start = datetime(2026, 3, 27, tzinfo=UTC)
    for hours in [*range(0, 96), *range(5040, 5136)]:
        moment = start + timedelta(hours=hours)
        assert tally_units(moment, BERLIN)["day"] == moment.astimezone(zone).date()


def test_a_naive_time_is_utc():
    assert tally_units(datetime(2026, 1, 1, 0, 30), NEW_YORK)["day"] == date(2025, 12, 31)


def _recognition(recipients, value, each=5):
    return Recognition(
        id=7,
        giver_id="g",
        recipient_ids=recipients,
        points_each=each,
        value=value,
        reason="thanks",
        source="slack",
        private=False,
        created_at=datetime(2026, 5, 20, 9, 0, tzinfo=UTC),
    )


def test_the_rows_of_one_recipient_without_a_value():
    rows = deltas(_recognition(["a"], None), "UTC")
    received = Counter(d.grain for d in rows if d.role == "received")
    given = Counter(d.grain for d in rows if d.role == "given")
    assert received == {g: 1 for g in ("day", "week", "month", "quarter", "year", "all")}
    assert given == {g: 1 for g in ("day", "month", "year", "all")}
    assert {d.value for d in rows} == {""}
    assert all(d.recognitions == 1 and d.points == 5 for d in rows)


def test_the_rows_of_several_recipients_with_a_value():
    rows = deltas(_recognition(["a", "b", "c"], "teamwork", each=4), "UTC")
    for person in "abc":
        mine = [d for d in rows if d.employee_id == person]
        assert all(d.role == "received" and d.points == 4 and d.recognitions == 1 for d in mine)
        assert sorted((d.grain, d.value) for d in mine) == sorted(
            [("day", "")]
            + [(g, v) for g in ("week", "month", "quarter", "year", "all") for v in ("", "teamwork")]
        )
    giver = [d for d in rows if d.employee_id == "g"]
    assert all(d.role == "given" and d.points == 12 and d.recognitions == 1 for d in giver)
    # given: every value at each grain, per value only what the report by value reads (no `all`)
    assert sorted((d.grain, d.value) for d in giver) == sorted(
        [("all", "")] + [(g, v) for g in ("day", "month", "year") for v in ("", "teamwork")]
    )
    assert len(rows) == 3 * 11 + 7
    assert len(combine(rows)) == len(rows)  # every row is its own key


def test_taking_back_is_the_exact_negative():
    recognition = _recognition(["a", "b"], "ownership")
    both = combine([*deltas(recognition, BERLIN), *deltas(recognition, BERLIN, -1)])
    assert set(both.values()) == {(0, 0)}
    with pytest.raises(ValueError):
        deltas(recognition, "UTC", 2)


def test_rows_cut_again_in_another_zone():
    # 23:30 UTC on 31 December 2026 is 1 January 2027 in Berlin: every unit but `all` moves.
    recognition = replace(
        _recognition(["a"], "teamwork"), created_at=datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    )
    utc = tally_rows(recognition, "UTC")
    berlin = utc.in_zone(BERLIN)
    assert utc.in_zone("UTC") is utc
    assert berlin == tally_rows(recognition, BERLIN) == combine(deltas(recognition, BERLIN))
    assert (berlin.timezone, berlin.sign) == (BERLIN, 1)
    assert ("day", date(2027, 1, 1), "received", "", "a") in berlin
    assert ("day", date(2026, 12, 31), "received", "", "a") in utc
    taken_back = tally_rows(recognition, "UTC", -1).in_zone(BERLIN)
    assert set(combine([*deltas(recognition, BERLIN), *deltas(recognition, BERLIN, -1)]).values()) == {(0, 0)}
    assert taken_back == {key: (-n, -p) for key, (n, p) in berlin.items()}
