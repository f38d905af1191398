"""Recognition tallies against rebuilds: a rebuild's start never holds gives behind a long reader,
a read that straddles a start answers from the history, and gives, reactions and take-backs
racing rebuilds leave the tallies exact."""

from __future__ import annotations

import dataclasses
import random
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event, text

from rewards import errors
from rewards.services.reactions import React, give_reaction_kudos, reverse_reaction_kudos
from rewards.services.recognition import GiveRecognition, give_recognition
from storage.reads import leaderboard as boards
from storage.reads import reports
from storage.reads.reports import GROUPS
from storage.recognition import tallies
from storage.recognition.reactions import SqlReactionLog
from storage.recognition.tally_check import check_tallies
from tests.factories import employee, give_allowance
from tests.test_report_tallies import random_ranges, world
from tests.test_tallies import POLICY, WINDOWS, ZONE, _oracle

RACING = dataclasses.replace(POLICY, reaction_daily_cap=100_000)
WAITING_TRUNCATE = (
    "SELECT count(*) FROM pg_stat_activity"
    " WHERE wait_event_type = 'Lock' AND query LIKE 'TRUNCATE recognition_tallies%'"
)


def _give(store, giver, recipient, points, key):
    cmd = GiveRecognition(giver.id, [recipient.id], points, "thanks for the help", key)
    return give_recognition(store.uow(), cmd, POLICY, store.clock)


def _assert_exact(store):
    checked = check_tallies(store.engine)
    assert checked.built and checked.differences == [] and checked.count == 0


@contextmanager
def _open_reader(store) -> Iterator[threading.Event]:
    """A transaction that has read the tallies and holds them until the event is set (or the
    block ends): `ledger verify`'s snapshot, say."""
    released = threading.Event()
    conn = store.engine.connect()
    tx = conn.begin()
    assert conn.execute(text("SELECT count(*) FROM recognition_tallies")).scalar_one() > 0

    def hold():
        released.wait(timeout=60)  # the safety net if a give never returns
        tx.rollback()
        conn.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        yield released
    finally:
        released.set()
        holder.join()


def _wait_for_truncate_waiting(store) -> None:
    while True:  # a transaction sees one snapshot of pg_stat_activity: a new one each time
        with store.engine.connect() as conn:
            if conn.execute(text(WAITING_TRUNCATE)).scalar_one():
                return
        threading.Event().wait(0.01)


def test_a_give_passes_a_rebuild_waiting_behind_a_long_reader(store, backend):
    if backend != "postgres":
        pytest.skip("TRUNCATE and its lock are PostgreSQL's")
    a, b = employee(store), employee(store)
    give_allowance(store, a, 1000)
    _give(store, a, b, 3, "before")
    tallies.build(store.engine, ZONE)
    outcome: list[object] = []

    def run_rebuild():
        try:
            outcome.append(tallies.rebuild(store.engine, ZONE))
        except RuntimeError as exc:
            outcome.append(exc)

    with _open_reader(store) as released:
        rebuilding = threading.Thread(target=run_rebuild)
        rebuilding.start()
        _wait_for_truncate_waiting(store)
        _give(store, a, b, 5, "during")
        assert not released.is_set()  # the give completed while the reader still held the table
    rebuilding.join()
    assert len(outcome) == 1
    assert outcome[0] == 2 or str(outcome[0]) == tallies.BUSY  # retried once the reader ended
    tallies.build(store.engine, ZONE)
    _assert_exact(store)
    assert boards.leaderboard(store, "all", at=store.clock.now(), timezone=ZONE)[0].points == 8


def test_a_rebuild_behind_a_reader_that_outlasts_its_retries_fails_clearly(store, backend, monkeypatch):
    if backend != "postgres":
        pytest.skip("TRUNCATE and its lock are PostgreSQL's")
    a, b = employee(store), employee(store)
    give_allowance(store, a, 1000)
    _give(store, a, b, 3, "before")
    tallies.build(store.engine, ZONE)
    monkeypatch.setattr(tallies, "START_PAUSES", (0.01, 0.01))
    with _open_reader(store) as released:
        with pytest.raises(RuntimeError, match="ledger verify"):
            tallies.rebuild(store.engine, ZONE)
        assert not released.is_set()
    with store.engine.connect() as conn:  # nothing changed: still built, still exact
        assert tallies.is_built(conn, ZONE)
    _assert_exact(store)


@contextmanager
def _start_before_tallies_read(store) -> Iterator[list[str]]:
    """Commit a rebuild's start just before the read's first statement on the tallies."""
    fired: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if not fired and "recognition_tallies" in statement and "TRUNCATE" not in statement:
            fired.append(statement)
            tallies._start_with_retries(store.engine, ZONE, force=True)

    event.listen(store.engine, "before_cursor_execute", before)
    try:
        yield fired
    finally:
        event.remove(store.engine, "before_cursor_execute", before)
    assert fired, "the read never reached the tallies"


def _busy_world(store):
    people = [employee(store) for _ in range(5)]
    for person in people:
        give_allowance(store, person, 10_000)
    for n in range(12):
        _give(store, people[n % 5], people[(n + 1 + n // 5) % 5], 1 + n, f"w-{n}")
    tallies.build(store.engine, ZONE)


@pytest.mark.parametrize("window", WINDOWS)
def test_a_leaderboard_straddling_a_rebuild_start_answers_from_the_history(store, window):
    _busy_world(store)
    at = store.clock.now()
    expected = _oracle(store, window, None, at)
    assert expected
    with _start_before_tallies_read(store):
        found = boards.leaderboard(store, window, limit=50, at=at, timezone=ZONE)
    assert found == expected
    tallies.build(store.engine, ZONE)
    _assert_exact(store)


def test_a_report_straddling_a_rebuild_start_answers_from_the_history(store, clock):
    tallies.build(store.engine, ZONE)
    given = world(store, clock, random.Random(3), gives=30, reactions=8)
    checked = 0
    for start, end in random_ranges(random.Random(4), 6):
        if not any(start <= g.at < end for g in given):
            continue
        for group_by in GROUPS:
            tallies.build(store.engine, ZONE)
            expected = reports.recognition_report_from_history(store, start, end, group_by)
            with _start_before_tallies_read(store):
                found = reports.recognition_report(store, start, end, group_by, timezone=ZONE)
            assert found == expected
            checked += 1
    assert checked >= len(GROUPS) * 2


def _log(uow):
    return SqlReactionLog.of(uow)


def test_gives_reactions_and_take_backs_racing_rebuilds_leave_the_tallies_exact(store):
    people = [employee(store) for _ in range(8)]
    for n, person in enumerate(people):
        give_allowance(store, person, 100_000, period=f"s-{n}")
    for i in range(30):
        _give(store, people[i % 8], people[(i + 1) % 8], 1, f"pre-{i}")
    giving = threading.Barrier(7)
    failures: list[str] = []

    def worker(w: int) -> int:
        giving.wait()
        done = 0
        for n in range(1, 41):
            giver, recipient = people[w], people[(w + 1 + n) % 8]
            if giver is recipient:
                continue
            try:
                if n % 2:
                    cmd = GiveRecognition(
                        giver.id,
                        [recipient.id],
                        1 + n % 5,
                        "thanks for the help",
                        f"w{w}-{n}",
                        value=("teamwork", None)[n % 4 // 2],
                    )
                    give_recognition(store.uow(), cmd, RACING, store.clock)
                else:
                    ref = f"C:{w}:{n}"
                    react = React(giver.id, recipient.id, ref, f"re-{ref}")
                    give_reaction_kudos(store.uow(), _log, react, RACING, store.clock)
                    if n % 4 == 0:
                        reverse_reaction_kudos(
                            store.uow(),
                            _log,
                            giver.id,
                            ref,
                            f"un-{ref}",
                            timedelta(minutes=5),
                            store.clock,
                            timezone=ZONE,
                        )
                done += 1
            except errors.DomainError as exc:
                failures.append(exc.code)
        return done

    with ThreadPoolExecutor(6) as pool:
        futures = [pool.submit(worker, w) for w in range(6)]
        giving.wait()  # the rebuilds start once every worker is giving
        rebuilds = 0
        while not all(f.done() for f in futures) or rebuilds < 2:
            tallies.rebuild(store.engine, ZONE, batch=3)
            rebuilds += 1
        done = sum(f.result() for f in futures)
    assert failures == []
    assert done > 60
    tallies.build(store.engine, ZONE)
    _assert_exact(store)
    at: datetime = store.clock.now()
    for window in WINDOWS:
        assert boards.leaderboard(store, window, limit=50, at=at, timezone=ZONE) == _oracle(
            store, window, None, at
        )
