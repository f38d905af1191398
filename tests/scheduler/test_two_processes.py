"""Two real scheduler processes on one PostgreSQL database run a simulated year.

Each process uses a simulated clock (a year passes in YEAR_SECONDS real seconds). Midway the
leader is killed with SIGKILL; the follower must take over, and at the end every milestone of
the year must have been awarded exactly once, never early, and the ledger must verify.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from rewards.clock import FakeClock
from rewards.milestones import anniversary, fire_time
from rewards.services.milestone_rules import list_rules
from storage.encryption.ciphers import BlindIndex, Keyring, generate_key
from storage.ledger.verify import verify_ledger
from storage.scheduling.unit_of_work import scheduler_uow
from storage.store import Store
from tests.databases import database_url
from tests.factories import employee
from tests.scheduler.helpers import milestone_transactions

YEAR_SECONDS = 40.0
START = datetime(2027, 1, 1, tzinfo=UTC)
SPEED = 365 * 86400 / YEAR_SECONDS
POLL = 1.0
TAKEOVER_LIMIT = 30.0  # the bound; with POLL = 1 s it normally takes about a second
ZONES = ["Pacific/Auckland", "America/Los_Angeles", "Asia/Kolkata", "UTC"]
ANCHORS = [
    date(2024, 2, 29),
    date(2020, 1, 1),
    date(2015, 12, 31),
    date(2019, 6, 15),
    date(2018, 7, 4),
    date(2011, 10, 30),
]
LEADER_LINE = "this process is the leader"
LATE_SHARE = 0.1  # of the year (about 36 simulated days): well inside the 60-day window checked


@pytest.fixture
def pg_store(tmp_path, postgres_url):
    url = database_url("postgres", tmp_path, postgres_url)
    keys, blind = f"k1:{generate_key()}", generate_key()
    store = Store.open(
        url, Keyring.parse(keys), BlindIndex.from_text(blind), FakeClock(START - timedelta(days=1))
    )
    yield store, {"DATABASE_URL": url, "PLAUDIT_ENCRYPTION_KEYS": keys, "PLAUDIT_BLIND_INDEX_KEY": blind}
    store.close()


def spawn(env: dict, log: Path) -> subprocess.Popen:
    handle = log.open("w")
    return subprocess.Popen(
        [sys.executable, "-m", "plaudit.cli", "scheduler"], env=env, stdout=handle, stderr=subprocess.STDOUT
    )


def wait_for(predicate, limit: float) -> float | None:
    """Seconds until predicate() held, or None if it did not within `limit`."""
    began = time.monotonic()
    while time.monotonic() - began < limit:
        if predicate():
            return time.monotonic() - began
        time.sleep(0.05)
    return None


def year_awards(store: Store) -> int:
    return len([key for key, _ in milestone_transactions(store) if ":2027-" in key])


def leads(log: Path) -> bool:
    return LEADER_LINE in log.read_text()


def test_two_processes_award_a_simulated_year_once_and_hand_over_when_the_leader_dies(pg_store, tmp_path):
    store, db_env = pg_store
    people = {
        employee(store, timezone=zone, hire_date=anchor, birth_date=anchor).id: (zone, anchor)
        for zone in ZONES
        for anchor in ANCHORS
    }
    rules = {r.code: r.id for r in list_rules(scheduler_uow(store), store.clock)}
    epoch = time.time() + 3
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PLAUDIT_", "SLACK_"))},
        **db_env,
        "PLAUDIT_SIMULATED_CLOCK_START": START.isoformat(),
        "PLAUDIT_SIMULATED_CLOCK_EPOCH": str(epoch),
        "PLAUDIT_SIMULATED_CLOCK_SPEED": str(SPEED),
        "PLAUDIT_SCHEDULER_MILESTONE_SECONDS": "0.2",
        "PLAUDIT_MILESTONE_WINDOW_DAYS": "60",
        "PLAUDIT_SCHEDULER_LEADER_POLL_SECONDS": str(POLL),
    }
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    procs = [spawn(env, logs[0]), spawn(env, logs[1])]
    try:
        assert wait_for(lambda: any(leads(log) for log in logs), 30) is not None
        leader = 0 if leads(logs[0]) else 1
        follower = 1 - leader
        time.sleep(max(0.0, epoch + YEAR_SECONDS * 0.45 - time.time()))  # mid-year, simulated
        procs[leader].send_signal(signal.SIGKILL)
        procs[leader].wait(10)
        takeover = wait_for(lambda: leads(logs[follower]), TAKEOVER_LIMIT)
        assert takeover is not None, logs[follower].read_text()[-2000:]
        print(f"follower took over {takeover:.1f} s after the leader was killed")
        time.sleep(max(0.0, epoch + YEAR_SECONDS - time.time()))  # the year's end, simulated
        # The last occurrences fall due at the year's end; a loaded machine may take a moment.
        expected = len(people) * 2
        caught_up = wait_for(lambda: year_awards(store) >= expected, YEAR_SECONDS * LATE_SHARE)
        assert caught_up is not None, f"{year_awards(store)} of {expected} awarded"
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(30)

    awarded = {key: at for key, at in milestone_transactions(store)}
    per_occurrence = Counter(key.rsplit(":", 1)[0] + ":" + key.rsplit(":", 1)[1][:4] for key in awarded)
    assert max(per_occurrence.values()) == 1  # never twice for an employee, rule and year
    for emp_id, (zone, anchor) in people.items():
        for code in ("work-anniversary", "birthday"):
            nominal = anniversary(anchor, 2027)
            key = f"milestone:{emp_id}:{rules[code]}:{nominal.isoformat()}"
            due = fire_time(nominal, ZoneInfo(zone))
            assert key in awarded, (zone, anchor, code)
            assert due <= awarded[key] < due + timedelta(days=60)  # never early
    # Late-2026 occurrences are caught up at the start and early-2028 ones at the end: the
    # simulated year itself holds exactly two per person.
    assert len([key for key in awarded if ":2027-" in key]) == len(people) * 2
    assert verify_ledger(store.engine) == []
