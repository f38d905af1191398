"""The recognition report read from the tallies equals the history, for any range, in a non-UTC zone."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select

from rewards.policy import RecognitionPolicy
from rewards.services.employees import erase_employee, upsert_employee
from rewards.services.reactions import React, give_reaction_kudos, reverse_reaction_kudos
from rewards.services.recognition import GiveRecognition, give_recognition
from rewards.time_ranges import signed_tile
from storage.reads import reports
from storage.reads.reports import GROUPS, Participation, ReportRow
from storage.recognition import tallies
from storage.recognition.reactions import SqlReactionLog
from storage.schema.core import EmployeeRow
from tests.factories import employee, give_allowance

ZONE = "America/New_York"
TZ = ZoneInfo(ZONE)
POLICY = RecognitionPolicy(timezone=ZONE, daily_cap_per_recipient=10**6, reaction_daily_cap=10**6)
VALUES = ("teamwork", "ownership", "customer")
DEPARTMENTS = ("Sales", "Support", "R&D", None)
# Where recognitions fall: a summer of 2024 (so whole years exist), both sides of New Year, of the
# March and November DST changes, and of month ends.
SPANS = [
    ("2024-06-01", "2024-07-15"),
    ("2024-12-29", "2025-01-03"),
    ("2025-02-26", "2025-03-11"),
    ("2025-05-30", "2025-06-02"),
    ("2025-10-31", "2025-11-04"),
]


@dataclass
class Given:
    giver: str
    recipients: list[str]
    value: str | None
    points_each: int
    at: datetime
    taken_back: bool = False


def local(text_: str, hour: float = 0) -> datetime:
    day = datetime.fromisoformat(text_).replace(tzinfo=TZ)
    return (day + timedelta(hours=hour)).astimezone(UTC)


def random_moment(rng: random.Random) -> datetime:
    first, last = rng.choice(SPANS)
    start, end = local(first), local(last)
    return start + (end - start) * rng.random()


def world(store, clock, rng: random.Random, gives: int = 90, reactions: int = 24) -> list[Given]:
    """People in departments, recognitions at random moments, reaction kudos (some taken back),
    two people erased and one moved to another department afterwards."""
    people = [employee(store, department=DEPARTMENTS[i % len(DEPARTMENTS)]) for i in range(9)]
    for person in people:
        give_allowance(store, person, 10**6)
    given: list[Given] = []
    for n in range(gives):
        giver = rng.choice(people)
        others = [p for p in people if p.id != giver.id]
        recipients = rng.sample(others, rng.choice([1, 1, 1, 2, 3]))
        value = rng.choice([*VALUES, None])
        at = random_moment(rng)
        clock.set(at)
        points = rng.randint(1, 20)
        cmd = GiveRecognition(
            giver_id=giver.id,
            recipient_ids=[r.id for r in recipients],
            points=points,
            reason="for the release",
            idempotency_key=f"give-{n}",
            value=value,
            private=rng.random() < 0.2,
        )
        give_recognition(store.uow(), cmd, POLICY, clock)
        given.append(Given(giver.id, [r.id for r in recipients], value, points, at))
    for n in range(reactions):
        giver, author = rng.sample(people, 2)
        at = random_moment(rng)
        clock.set(at)
        ref = f"C1:{n}:tada"
        react = React(giver.id, author.id, ref, f"react-{n}", "tada")
        give_reaction_kudos(store.uow(), SqlReactionLog.of, react, POLICY, clock)
        record = Given(giver.id, [author.id], None, POLICY.reaction_points, at)
        given.append(record)
        if n % 3 == 0:
            clock.set(at + timedelta(seconds=30))
            window = timedelta(minutes=5)
            record.taken_back = reverse_reaction_kudos(
                store.uow(), SqlReactionLog.of, giver.id, ref, f"unreact-{n}", window, clock, timezone=ZONE
            )
            assert record.taken_back
    clock.set(local("2025-12-01"))
    for person in people[:2]:
        erase_employee(store.uow(), person.id, clock)
    upsert_employee(store.uow(), people[5].external_id, {"department": "Finance"}, clock)
    return given


def expected(store, given: list[Given], start: datetime, end: datetime, group_by: str):
    """The report computed in Python from what was given: the test's own oracle."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(EmployeeRow.id, EmployeeRow.department, EmployeeRow.status)).all()
        active = conn.execute(
            select(EmployeeRow.id).where(
                EmployeeRow.status == "active", EmployeeRow.erased_at.is_(None), EmployeeRow.is_bot.is_(False)
            )
        ).all()
    department = {row.id: row.department for row in rows}
    counted = [g for g in given if start <= g.at < end and not g.taken_back]
    sums: dict[str | None, list[int]] = defaultdict(lambda: [0, 0])
    for g in counted:
        if group_by in ("value", "giver"):
            key = g.value if group_by == "value" else g.giver
            sums[key][0] += 1
            sums[key][1] += g.points_each * len(g.recipients)
        else:
            for recipient in g.recipients:
                key = recipient if group_by == "recipient" else department[recipient]
                sums[key][0] += 1
                sums[key][1] += g.points_each
    ordered = sorted(sums.items(), key=lambda kv: (-kv[1][1], kv[0] is None, kv[0] or ""))
    gave = len({g.giver for g in counted})
    received = len({r for g in counted for r in g.recipients})
    return [ReportRow(k, n, p) for k, (n, p) in ordered], Participation(len(active), gave, received)


def random_ranges(rng: random.Random, count: int) -> list[tuple[datetime, datetime]]:
    """Ranges of every shape: arbitrary instants, local midnights, month and year starts, under a day."""
    ranges = [
        (local("2024-01-01"), local("2026-01-01")),  # two whole years
        (local("2024-06-15", 13.5), local("2025-06-15", 9.25)),  # a year, mid-day at both ends
        (local("2025-03-09"), local("2025-03-10")),  # the 23-hour day
        (local("2025-11-02", 1.5), local("2025-11-02", 1.75)),  # inside the repeated hour
        (local("2024-12-31", 23), local("2025-01-01", 1)),  # across New Year, two hours
        (local("2025-03-01"), local("2025-06-01", 12)),
    ]
    while len(ranges) < count:
        a, b = sorted((random_moment(rng), random_moment(rng)))
        shape = rng.random()
        if shape < 0.2:  # shorter than a day
            b = a + timedelta(hours=rng.uniform(0.1, 23))
        elif shape < 0.4:  # local midnights
            a = local(a.astimezone(TZ).date().isoformat())
            b = local(b.astimezone(TZ).date().isoformat())
        elif shape < 0.5:  # month starts
            a = local(a.astimezone(TZ).date().replace(day=1).isoformat())
        if a < b:
            ranges.append((a, b))
    return ranges


def check_every_range(store, given, ranges, *, built: bool) -> int:
    """Each group of each range: the report equals the Python oracle and the history read."""
    checked = 0
    with store.engine.connect() as conn:
        hr_id = dict(conn.execute(select(EmployeeRow.id, EmployeeRow.external_id)).all())
    for start, end in ranges:
        with store.engine.connect() as conn:
            assert tallies.is_built(conn, ZONE) is built
        for group_by in GROUPS:
            want = expected(store, given, start, end, group_by)
            assert reports.recognition_report(store, start, end, group_by, timezone=ZONE) == want, (
                start,
                end,
                group_by,
            )
            assert reports.recognition_report_from_history(store, start, end, group_by) == want
            if group_by in ("giver", "recipient"):  # the API's labels: HR ids, in employee id order
                rows, part = want
                labelled = [ReportRow(hr_id[row.key], row.recognitions, row.points) for row in rows]
                shown = reports.recognition_report(store, start, end, group_by, timezone=ZONE, hr_ids=True)
                assert shown == (labelled, part), (start, end, group_by)
            checked += 1
    return checked


def test_report_from_tallies_equals_the_history_before_and_after_rebuild(store, clock):
    rng = random.Random(11)
    tallies.build(store.engine, ZONE)  # before any recognition: finished at once, gives count live
    given = world(store, clock, rng)
    ranges = random_ranges(rng, 40)
    nonempty = [r for r in ranges if any(r[0] <= g.at < r[1] for g in given)]
    assert len(nonempty) > 25  # the ranges mostly hold recognitions
    signed = [r for r in ranges if any(p.sign < 0 for p in signed_tile(*r, ZONE, now=clock.now()))]
    assert len(signed) >= 8  # many are read as a whole unit minus the rest of it
    by_quarter = [
        r
        for r in ranges
        if any(p.grain == "quarter" for p in signed_tile(*r, ZONE, now=clock.now(), quarters=True))
    ]
    assert len(by_quarter) >= 4  # and received tallies are read by quarter too
    assert check_every_range(store, given, ranges, built=True) == 40 * len(GROUPS)
    tallies.rebuild(store.engine, ZONE)
    assert check_every_range(store, given, ranges, built=True) == 40 * len(GROUPS)


def test_while_the_tallies_are_not_built_the_history_answers(store, clock):
    given = world(store, clock, random.Random(5), gives=20, reactions=6)
    ranges = random_ranges(random.Random(6), 8)
    check_every_range(store, given, ranges, built=False)
    tallies.rebuild(store.engine, "Europe/Paris")  # built in another zone: not ours
    check_every_range(store, given, ranges, built=False)
    tallies.rebuild(store.engine, ZONE)
    check_every_range(store, given, ranges, built=True)


def test_department_counts_recognitions_received_and_taken_back_reactions_do_not_count(store, clock):
    ana, ben, cy = (employee(store, department=d) for d in ("Sales", "Support", "Support"))
    give_allowance(store, ana, 1000)
    give_allowance(store, ben, 1000)
    clock.set(local("2025-03-09", 12))
    cmd = GiveRecognition(ana.id, [ben.id, cy.id], 10, "for the release", "k-1", value="teamwork")
    give_recognition(store.uow(), cmd, POLICY, clock)
    react = React(ben.id, cy.id, "C1:1:tada", "r-1", "tada")
    give_reaction_kudos(store.uow(), SqlReactionLog.of, react, POLICY, clock)
    assert reverse_reaction_kudos(
        store.uow(), SqlReactionLog.of, ben.id, "C1:1:tada", "u-1", timedelta(minutes=5), clock, timezone=ZONE
    )
    tallies.rebuild(store.engine, ZONE)
    start, end = local("2025-03-01"), local("2025-03-09", 18)  # whole days and a partial one
    for read in (
        lambda g: reports.recognition_report(store, start, end, g, timezone=ZONE),
        lambda g: reports.recognition_report_from_history(store, start, end, g),
    ):
        rows, part = read("department")
        assert rows == [ReportRow("Support", 2, 20)]
        assert read("value")[0] == [ReportRow("teamwork", 1, 20)]
        assert (part.gave, part.received) == (1, 2)  # ben's reaction was taken back


def test_the_report_reads_no_history_table_whole(store, clock):
    """EXPLAIN every statement the report runs: recognitions only through the created_at index,
    tallies through their key; no full scan of a history table."""
    given = world(store, clock, random.Random(3), gives=12, reactions=3)
    assert given
    tallies.rebuild(store.engine, ZONE)
    statements: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", capture)
    try:
        for group_by in GROUPS:
            reports.recognition_report(
                store, local("2024-06-15", 13.5), local("2025-06-15", 9.25), group_by, timezone=ZONE
            )
    finally:
        event.remove(store.engine, "before_cursor_execute", capture)
    history = ("recognitions", "recognition_recipients", "reaction_kudos", "recognition_tallies")
    plans = [explain(store.engine, statement, parameters) for statement, parameters in statements]
    # is_built; the groups; the other side and the active; is_built again (no rebuild started meanwhile)
    assert len(statements) == 4 * len(GROUPS)
    touched = "\n".join(plans)
    assert "recognitions" in touched and "recognition_tallies" in touched
    for plan in plans:
        for line in plan.splitlines():
            for table in history:
                assert not scans_whole(line, table), f"{line}\n in plan:\n{plan}"


def explain(engine, statement: str, parameters) -> str:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SET enable_seqscan = off")
            rows = conn.exec_driver_sql(f"EXPLAIN {statement}", parameters).all()
            return "\n".join(row[0] for row in rows)
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
        return "\n".join(row[-1] for row in rows)


def scans_whole(line: str, table: str) -> bool:
    words = line.replace("(", " ").split()
    if "Seq" in words and "Scan" in words:  # PostgreSQL: "Seq Scan on recognitions r"
        return words[words.index("Scan") + 2 : words.index("Scan") + 3] == [table]
    # SQLite: "SCAN recognitions [USING (COVERING) INDEX …]" reads all of it; "SEARCH …" a range.
    return words[:2] == ["SCAN", table]


def test_an_empty_range_is_nothing_and_an_unknown_group_is_refused(store):
    tallies.rebuild(store.engine, ZONE)
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    rows, part = reports.recognition_report(store, moment, moment, "value", timezone=ZONE)
    assert rows == [] and (part.gave, part.received) == (0, 0)
    with pytest.raises(ValueError):
        reports.recognition_report(store, moment, moment + timedelta(days=1), "team", timezone=ZONE)
