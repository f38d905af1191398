"""Recognition tallies kept with the writes: exactly the history's and the ledger's numbers, on
both databases, live, after a rebuild, under concurrent gives, and across a resumed build."""

from __future__ import annotations

import base64
import dataclasses
import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import insert, select, text, update

from rewards import errors
from rewards.clock import SystemClock
from rewards.policy import RecognitionPolicy
from rewards.reactions import ReactionLog
from rewards.services.employees import erase_employee
from rewards.services.reactions import React, give_reaction_kudos, reverse_reaction_kudos
from rewards.services.recognition import GiveRecognition, give_recognition
from rewards.tallies import ALL_STARTS
from storage.ledger.verify import verify_ledger
from storage.reads import leaderboard as boards
from storage.recognition import tally_check
from storage.recognition.reactions import SqlReactionLog
from storage.recognition.tallies import build, is_built, rebuild, upsert
from storage.recognition.tally_check import check_tallies
from storage.schema.core import EmployeeRow
from storage.schema.tallies import RecognitionTallyRow, TallyBuildRow
from storage.store import Store
from tests.factories import employee, give_allowance

ZONE = "Europe/Berlin"
POLICY = RecognitionPolicy(max_points=50, daily_cap_per_recipient=10_000, reaction_points=2, timezone=ZONE)
WINDOWS = ("day", "week", "month", "quarter", "year", "all")
VALUES = (None, "teamwork", "ownership")


def _give(store, giver, recipients, points, value=None, private=False, key=None):
    return give_recognition(
        store.uow(),
        GiveRecognition(
            giver_id=giver.id,
            recipient_ids=[r.id for r in recipients],
            points=points,
            reason="thanks for the help",
            idempotency_key=key or f"give-{datetime.now(UTC).timestamp()}-{id(recipients)}-{points}",
            value=value,
            private=private,
        ),
        POLICY,
        store.clock,
    )


def _log(uow) -> ReactionLog:
    return SqlReactionLog.of(uow)


def _react(store, giver, author, ref):
    return give_reaction_kudos(
        store.uow(), _log, React(giver.id, author.id, ref, f"react-{ref}"), POLICY, store.clock
    )


def _unreact(store, giver, ref):
    return reverse_reaction_kudos(
        store.uow(), _log, giver.id, ref, f"unreact-{ref}", timedelta(minutes=5), store.clock, timezone=ZONE
    )


def _oracle(store, window, value, at):
    """The window's top summed from the history, between the local midnights that bound it."""
    if window == "all":
        return boards.history_leaderboard(store, value=value, limit=50)
    starts = boards.window_start(window, at, ZONE)
    ends = starts + timedelta(days=1)
    while boards.window_start(window, datetime.combine(ends, time(12), tzinfo=UTC), ZONE) == starts:
        ends += timedelta(days=1)
    since, until = boards._utc_midnight(starts, ZONE), boards._utc_midnight(ends, ZONE)
    return boards.history_leaderboard(store, since=since, value=value, limit=50, until=until)


def _assert_boards_match_history(store, at):
    with store.reader() as uow:
        assert is_built(uow.session.connection(), ZONE)
    compared = 0
    for window in WINDOWS:
        for value in VALUES:
            expected = _oracle(store, window, value, at)
            found = boards.leaderboard(store, window, value, limit=50, at=at, timezone=ZONE)
            assert (window, value, found) == (window, value, expected)
            compared += len(expected)
    assert compared > 0
    checked = check_tallies(store.engine)
    assert checked.built and checked.differences == [] and checked.count == 0


def _world(store, clock):
    """A history across a year boundary in Berlin, with every kind of recognition."""
    people = [employee(store) for _ in range(6)]
    ana, ben, cai, dev, eve, fay = people
    for n, person in enumerate(people):
        give_allowance(store, person, 10_000, period=f"seed-{n}")
    clock.set(datetime(2026, 12, 31, 22, 30, tzinfo=UTC))  # 23:30 in Berlin: the old year
    _give(store, ana, [ben, cai], 10, "teamwork", key="g1")  # several recipients
    _give(store, ben, [cai], 7, key="g2")
    clock.set(datetime(2026, 12, 31, 23, 30, tzinfo=UTC))  # 00:30 on 1 January in Berlin
    _give(store, cai, [ben], 4, "ownership", key="g3")
    _give(store, dev, [eve], 9, "teamwork", private=True, key="g4")  # private kudos count
    _react(store, eve, fay, "C:1")
    _react(store, ana, fay, "C:2")
    assert _unreact(store, ana, "C:2")  # taken back: counts nowhere
    clock.advance(days=40)
    _give(store, fay, [ana, ben, cai], 3, "ownership", key="g5")
    _give(store, eve, [dev], 20, key="g6")
    _give(store, ana, [eve], 6, "teamwork", key="g7")
    return people


def test_tallies_equal_the_history_live_and_after_a_rebuild(store, clock):
    assert build(store.engine, ZONE) == 0  # an empty database: built at once, then kept live
    people = _world(store, clock)
    ana, ben, cai, dev, eve, fay = people
    _assert_boards_match_history(store, clock.now())
    _assert_boards_match_history(store, datetime(2026, 12, 31, 22, 0, tzinfo=UTC))  # the old year's windows

    # numbers worked out by hand: this year (2027 in Berlin), all values
    year = boards.leaderboard(store, "year", at=clock.now(), timezone=ZONE)
    assert [(r.employee_id, r.points, r.recognitions) for r in year] == sorted(
        [(dev.id, 20, 1), (eve.id, 15, 2), (ben.id, 7, 2), (cai.id, 3, 1), (ana.id, 3, 1), (fay.id, 2, 1)],
        key=lambda r: (-r[1], _neg(r[0])),
    )
    assert [
        (r.employee_id, r.points)
        for r in boards.leaderboard(store, "all", "teamwork", at=clock.now(), timezone=ZONE)
    ] == sorted([(cai.id, 10), (ben.id, 10), (eve.id, 15)], key=lambda r: (-r[1], _neg(r[0])))

    # an erased person leaves the board, and the limit still gives N
    erase_employee(store.uow(), eve.id, clock)
    top = boards.leaderboard(store, "all", limit=3, at=clock.now(), timezone=ZONE)
    assert eve.id not in {r.employee_id for r in top} and len(top) == 3
    _assert_boards_match_history(store, clock.now())

    before = _table(store)
    assert rebuild(store.engine, ZONE, batch=2) == 9
    assert _table(store) == {k: v for k, v in before.items() if v != (0, 0)}  # rows taken back to 0 go
    _assert_boards_match_history(store, clock.now())
    assert verify_ledger(store.engine) == []


def _neg(employee_id: str) -> tuple[int, ...]:
    return tuple(-ord(c) for c in employee_id)  # ties: the higher id first, as the index walks


def _table(store):
    with store.reader() as uow:
        rows = uow.session.execute(select(RecognitionTallyRow)).scalars().all()
        return {(r.grain, r.starts, r.role, r.value, r.employee_id): (r.recognitions, r.points) for r in rows}


def test_reads_use_the_history_until_the_build_finishes(store, clock):
    ana, ben = employee(store), employee(store)
    give_allowance(store, ana, 100)
    _give(store, ana, [ben], 5, key="old")  # as if before tallies existed: rows removed below
    with store.uow() as uow:  # and no build yet, as before the upgrade that adds them
        uow.session.execute(RecognitionTallyRow.__table__.delete())
        uow.session.execute(TallyBuildRow.__table__.delete())
        uow.commit()
    with store.reader() as uow:
        assert not is_built(uow.session.connection(), ZONE)
    rows = boards.leaderboard(store, "month", at=clock.now(), timezone=ZONE)
    assert [(r.employee_id, r.points) for r in rows] == [(ben.id, 5)]  # the history answered
    assert not check_tallies(store.engine).built
    build(store.engine, ZONE)
    with store.reader() as uow:
        assert is_built(uow.session.connection(), ZONE)
        assert not is_built(uow.session.connection(), "UTC")  # cut in another zone: not for UTC
    _assert_boards_match_history(store, clock.now())


def test_a_stopped_build_resumes_and_counts_each_recognition_once(store, clock):
    people = _world(store, clock)
    lines: list[str] = []

    def stop_after_first(line: str) -> None:
        lines.append(line)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rebuild(store.engine, ZONE, stop_after_first, batch=3)
    assert lines == ["tallies: 3 of 9 recognitions (33%)"]
    with store.reader() as uow:
        state = uow.session.execute(select(TallyBuildRow)).scalar_one()
        assert (state.through_id, state.target_id, state.finished_at) == (3, 9, None)
        assert not is_built(uow.session.connection(), ZONE)
    # a give while the build is under way is counted live, never by the build too
    _give(store, people[0], [people[1]], 1, key="meanwhile")
    more: list[str] = []
    assert build(store.engine, ZONE, more.append, batch=3) == 6
    assert more == [
        "tallies: 6 of 9 recognitions (66%)",
        "tallies: 9 of 9 recognitions (100%)",
        "tallies: built; 6 recognitions counted now, 9 in all",
    ]
    _assert_boards_match_history(store, clock.now())
    assert build(store.engine, ZONE) == 0  # finished: nothing to do


def test_a_reaction_taken_back_while_the_build_has_not_reached_it(store, clock):
    ana, ben = employee(store), employee(store)
    give_allowance(store, ana, 100)
    give_allowance(store, ben, 100)
    build(store.engine, ZONE)
    _react(store, ana, ben, "C:9")  # live
    _give(store, ana, [ben], 5, key="x1")
    with pytest.raises(KeyboardInterrupt):
        rebuild(store.engine, ZONE, _interrupt, batch=1)  # counted the reaction's recognition only
    _react(store, ben, ana, "C:10")  # id 3, above the build's target: live
    _give(store, ben, [ana], 2, key="x2")
    assert _unreact(store, ana, "C:9")  # counted by the build: subtracted
    assert _unreact(store, ben, "C:10")  # counted live: subtracted
    build(store.engine, ZONE)
    _assert_boards_match_history(store, clock.now())

    # taken back before the build reaches it: the build leaves it out, the take-back subtracts nothing
    _react(store, ana, ben, "C:11")
    with pytest.raises(KeyboardInterrupt):
        rebuild(store.engine, ZONE, _interrupt, batch=1)
    assert _unreact(store, ana, "C:11")
    build(store.engine, ZONE)
    _assert_boards_match_history(store, clock.now())


def _interrupt(_line: str) -> None:
    raise KeyboardInterrupt


def test_verify_names_a_tampered_tally(store, clock):
    build(store.engine, ZONE)
    people = _world(store, clock)
    ben = people[1]
    T = RecognitionTallyRow
    with store.uow() as uow:
        uow.session.execute(
            update(T)
            .where(T.grain == "all", T.role == "received", T.value == "", T.employee_id == ben.id)
            .values(points=T.points + 5, recognitions=T.recognitions + 1)
        )
        uow.commit()
    found = check_tallies(store.engine, limit=1)
    assert found.count == 2  # the row against the history, and against the ledger
    assert found.differences == [
        f"tally received/all {ALL_STARTS.isoformat()} value '' employee {ben.id}:"
        " table says 22 points/4 recognitions, history says 17/3"
    ]
    against_ledger = f"tally received/all employee {ben.id}: table says 22 points,"
    against_ledger += " the ledger's recognitions to their wallet say 17"
    assert against_ledger in check_tallies(store.engine).differences


def test_the_leaderboard_reads_one_window_not_the_table(store):
    rows = {
        (grain, ALL_STARTS, role, value, f"e{n:05d}"): (1, n % 997)
        for grain in ("day", "month", "all")
        for role in ("received", "given")
        for value in ("", "teamwork")
        for n in range(3000)
    }
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with store.engine.begin() as conn:
        conn.execute(
            insert(EmployeeRow),
            [{"id": f"e{n:05d}", "created_at": now, "updated_at": now} for n in range(3000)],
        )
        upsert(conn, rows)
    # No index ranks by points (it would move on every give): a window's rows are a range of the
    # key (grain, starts, role, value), then sorted; the table is never scanned.
    for window in ("all", "day"):
        plan = _plan(store, boards.TOP, window)
        assert "SCAN recognition_tallies" not in plan and "Seq Scan on recognition_tallies" not in plan, plan
        in_sqlite = "recognition_tallies USING PRIMARY KEY (grain=? AND starts=? AND role=? AND value=?)"
        assert in_sqlite in plan or "recognition_tallies_pkey" in plan, plan
    expected = sorted(
        ((e, p) for (g, _s, r, v, e), (_n, p) in rows.items() if (g, r, v) == ("day", "received", "")),
        key=lambda ep: (ep[1], ep[0]),
        reverse=True,
    )[:10]
    store.clock.set(datetime(1970, 1, 1, 12, tzinfo=UTC))
    with store.engine.begin() as conn:  # no build mark yet, as before the upgrade that adds them
        conn.execute(TallyBuildRow.__table__.delete())
    found = boards.leaderboard(store, "day", at=store.clock.now(), timezone="UTC")
    assert found == [] and not _built(store)  # the (empty) history answers
    with store.engine.begin() as conn:
        conn.execute(
            insert(TallyBuildRow).values(
                id=1, timezone="UTC", target_id=0, through_id=0, started_at=now, finished_at=now
            )
        )
    found = boards.leaderboard(store, "day", at=store.clock.now(), timezone="UTC")
    assert [(r.employee_id, r.points) for r in found] == expected


def _built(store) -> bool:
    with store.reader() as uow:
        return is_built(uow.session.connection(), "UTC")


def _plan(store, query, grain: str) -> str:
    """The plan of a leaderboard query for `grain`, starting 1970-01-01, every value, top 10."""
    values = {"grain": grain, "starts": ALL_STARTS, "value": "", "limit": 10}
    with store.engine.connect() as conn:
        compiled = query.compile(conn)
        params = {**compiled.params, **values}
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("ANALYZE")
            args = tuple(
                params[name].isoformat() if name == "starts" else params[name]
                for name in compiled.positiontup
            )
            found = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), args)
            return " | ".join(str(r[-1]) for r in found)
        conn.exec_driver_sql("ANALYZE recognition_tallies")
        conn.exec_driver_sql("ANALYZE employees")
        return " | ".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + str(compiled), params))


GIVERS, RECIPIENTS, GIVES_EACH = 6, 4, 6


def _concurrent_people(store):
    givers = [employee(store) for _ in range(GIVERS)]
    recipients = [employee(store) for _ in range(RECIPIENTS)]
    for n, giver in enumerate(givers):
        give_allowance(store, giver, 10_000, period=f"c-{n}")
    return givers, recipients


def _give_many(store, giver_id, recipient_ids, worker):
    results = []
    for n in range(GIVES_EACH):
        chosen = [
            recipient_ids[(worker + n) % len(recipient_ids)],
            recipient_ids[(worker + n + 1) % len(recipient_ids)],
        ]
        cmd = GiveRecognition(
            giver_id=giver_id,
            recipient_ids=chosen,
            points=1 + n,
            reason="thanks for the help",
            idempotency_key=f"c-{worker}-{n}",
            value=("teamwork", None, "ownership")[n % 3],
        )
        try:
            give_recognition(store.uow(), cmd, POLICY, store.clock)
            results.append("ok")
        except errors.DomainError as exc:
            results.append(exc.code)
    return results


def test_concurrent_gives_keep_the_tallies_exact(store):
    build(store.engine, ZONE)
    givers, recipients = _concurrent_people(store)
    start = threading.Barrier(GIVERS)
    ids = [r.id for r in recipients]

    def attempt(worker: int) -> list[str]:
        start.wait()
        return _give_many(store, givers[worker].id, ids, worker)

    with ThreadPoolExecutor(max_workers=GIVERS) as pool:
        outcomes = [o for found in pool.map(attempt, range(GIVERS)) for o in found]
    assert outcomes == ["ok"] * GIVERS * GIVES_EACH
    _assert_boards_match_history(store, store.clock.now())
    assert verify_ledger(store.engine) == []


REACTIONS_EACH = 4


def _react_many(store, giver_id, recipient_ids, worker, count=REACTIONS_EACH):
    """Reaction kudos to each recipient in turn, every other one taken back."""
    results = []
    for n in range(count):
        ref = f"P:{worker}:{n}"
        author = recipient_ids[(worker + n) % len(recipient_ids)]
        try:
            react = React(giver_id, author, ref, f"react-{ref}")
            give_reaction_kudos(store.uow(), _log, react, POLICY, store.clock)
            if n % 2:
                reverse_reaction_kudos(
                    store.uow(),
                    _log,
                    giver_id,
                    ref,
                    f"unreact-{ref}",
                    timedelta(minutes=5),
                    store.clock,
                    timezone=ZONE,
                )
            results.append("ok")
        except errors.DomainError as exc:
            results.append(exc.code)
    return results


def _process_giver(url, keyring_text, blind_key, giver_id, recipient_ids, worker, results, giving, go):
    from storage.encryption.ciphers import BlindIndex, Keyring

    store = Store.open(url, Keyring.parse(keyring_text), BlindIndex(blind_key), SystemClock())
    first = _react_many(store, giver_id, recipient_ids, worker + 100, count=1)  # one done...
    giving.set()  # ...then the parent starts rebuilding, and the rest race its rebuilds
    go.wait(timeout=60)
    outcomes = (
        first
        + _give_many(store, giver_id, recipient_ids, worker)
        + _react_many(store, giver_id, recipient_ids, worker)
    )
    store.close()
    results.put(outcomes)


def test_concurrent_processes_and_a_rebuild_keep_the_tallies_exact(store, keyring, blind_index, backend):
    if backend != "postgres":
        pytest.skip("processes against one SQLite file are the threads' test again")
    givers, recipients = _concurrent_people(store)
    _give_many(store, givers[0].id, [r.id for r in recipients], 99)  # history before the build
    keyring_text = ",".join(f"{kid}:{base64.b64encode(k).decode()}" for kid, k in keyring.keys)
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    giving = [ctx.Event() for _ in range(4)]
    go = ctx.Event()
    procs = [
        ctx.Process(
            target=_process_giver,
            args=(
                store.engine.url.render_as_string(hide_password=False),
                keyring_text,
                blind_index._key,
                givers[w].id,
                [r.id for r in recipients],
                w,
                results,
                giving[w],
                go,
            ),
        )
        for w in range(4)
    ]
    for proc in procs:
        proc.start()
    for started in giving:
        assert started.wait(timeout=120)
    go.set()
    found: list[list[str]] = []
    rebuilds = 0
    while len(found) < len(procs) or rebuilds < 2:  # rebuilds racing the gives until they end
        rebuild(store.engine, ZONE, batch=2)
        rebuilds += 1
        while len(found) < len(procs) and not results.empty():
            found.append(results.get(timeout=30))
    outcomes = [o for f in found for o in f]
    for proc in procs:
        proc.join(timeout=30)
        assert proc.exitcode == 0
    assert outcomes == ["ok"] * 4 * (1 + GIVES_EACH + REACTIONS_EACH)
    build(store.engine, ZONE)
    _assert_boards_match_history(store, datetime.now(UTC))
    assert verify_ledger(store.engine) == []


def test_verify_holds_no_lock_on_the_tallies_between_slices(store, clock, monkeypatch):
    build(store.engine, ZONE)
    _world(store, clock)
    monkeypatch.setattr(tally_check, "EMPLOYEES_PER_PASS", 2)  # six people: three slices
    compare_slice = tally_check._table
    free_between_slices = []

    def slice_after_a_truncate_tried(conn, low, high):
        # Before this slice's transaction reads the tallies, a rebuild's TRUNCATE gets its lock at once.
        if store.engine.dialect.name == "postgresql":
            with store.engine.begin() as other:
                other.execute(text("SET LOCAL lock_timeout = '100ms'"))
                other.execute(text("LOCK TABLE recognition_tallies IN ACCESS EXCLUSIVE MODE"))
                free_between_slices.append(True)
        return compare_slice(conn, low, high)

    monkeypatch.setattr(tally_check, "_table", slice_after_a_truncate_tried)
    found = check_tallies(store.engine)
    assert found.built and found.count == 0
    if store.engine.dialect.name == "postgresql":
        assert free_between_slices == [True, True, True]


def test_a_rebuild_started_during_verify_ends_it_unchecked(store, clock, monkeypatch):
    build(store.engine, ZONE)
    _world(store, clock)
    monkeypatch.setattr(tally_check, "EMPLOYEES_PER_PASS", 2)
    compare_slice = tally_check._table
    calls = []

    def rebuild_after_the_first_slice(conn, low, high):
        calls.append(low)
        if len(calls) == 2:  # between slices: started, not finished, so nothing to compare with
            with pytest.raises(KeyboardInterrupt):
                rebuild(store.engine, ZONE, _interrupt, batch=1)
        return compare_slice(conn, low, high)  # this slice still reads its own snapshot

    monkeypatch.setattr(tally_check, "_table", rebuild_after_the_first_slice)
    found = check_tallies(store.engine)
    assert not found.built and found.differences == [] and len(calls) == 2


def test_gives_are_cut_in_the_zone_of_the_build_not_the_servers(store, clock):
    # Mid-deploy: the tallies were built in Berlin, and a server still configured for New York
    # gives (or takes back) at 23:30 UTC on 31 December: 1 January in Berlin, 31 December in New York.
    build(store.engine, ZONE)
    people = _world(store, clock)
    ana, ben = people[0], people[1]
    clock.set(datetime(2027, 12, 31, 23, 30, tzinfo=UTC))
    other = dataclasses.replace(POLICY, timezone="America/New_York")
    give_recognition(
        store.uow(),
        GiveRecognition(ana.id, [ben.id], 5, "thanks for the help", "ny-give", value="teamwork"),
        other,
        store.clock,
    )
    give_reaction_kudos(store.uow(), _log, React(ben.id, ana.id, "C:ny", "react-ny"), other, store.clock)
    assert reverse_reaction_kudos(
        store.uow(),
        _log,
        ben.id,
        "C:ny",
        "unreact-ny",
        timedelta(minutes=5),
        store.clock,
        timezone="America/New_York",
    )
    units = {(r.grain, r.starts) for r in _rows_of(store, ben.id) if r.role == "received"}
    assert ("day", date(2028, 1, 1)) in units and ("day", date(2027, 12, 31)) not in units
    checked = check_tallies(store.engine)
    assert checked.built and checked.differences == [], checked.differences
    _assert_boards_match_history(store, clock.now())


def _rows_of(store, employee_id):
    with store.reader() as uow:
        T = RecognitionTallyRow
        return uow.session.execute(select(T).where(T.employee_id == employee_id)).scalars().all()
