"""The command line: milestone rules, `plaudit scheduler --once` catching up, and `plaudit serve`
running the scheduler in-process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, date, datetime

import pytest

from plaudit.cli import main
from rewards.clock import FakeClock
from storage.encryption.ciphers import BlindIndex, Keyring, generate_key
from storage.schema import migrate
from storage.store import Store
from tests.factories import balances, employee
from tests.scheduler.helpers import milestone_transactions


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    keys, blind = f"k1:{generate_key()}", generate_key()
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "PLAUDIT_ENCRYPTION_KEYS": keys,
        "PLAUDIT_BLIND_INDEX_KEY": blind,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    store = Store.open(
        env["DATABASE_URL"],
        Keyring.parse(keys),
        BlindIndex.from_text(blind),
        FakeClock(datetime(2026, 6, 1, tzinfo=UTC)),
    )
    migrate.upgrade(store.engine)
    yield env, store
    store.close()


def test_milestone_rules_are_listed_added_and_updated(cli_env, capsys):
    assert main(["milestones", "list"]) == 0
    listed = capsys.readouterr().out
    assert "work-anniversary" in listed and "1:100,3:300,5:500,10:1000" in listed
    assert "recognition-badges" in listed and "thresholds=10,50,100" in listed

    assert (
        main(
            [
                "milestones",
                "add",
                "--code",
                "ten-years",
                "--kind",
                "work_anniversary",
                "--name",
                "Decade",
                "--points",
                "5",
                "--table",
                "10:2000",
                "--weekend-to-friday",
            ]
        )
        == 0
    )
    added = capsys.readouterr().out
    assert "ten-years" in added and "weekend_to_friday=yes" in added
    rule_id = added.split()[0]
    assert main(["milestones", "update", rule_id, "--points", "7", "--no-active"]) == 0
    updated = capsys.readouterr().out
    assert "points=7" in updated and updated.rstrip().endswith("inactive")

    assert (
        main(["milestones", "add", "--code", "x", "--kind", "birthday", "--name", "X", "--points", "0"]) == 1
    )
    assert "whole numbers from 1" in capsys.readouterr().err


def test_scheduler_once_after_three_days_down_awards_the_missed_milestones_once(cli_env, monkeypatch, capsys):
    _, store = cli_env
    person = employee(
        store, timezone="America/Los_Angeles", hire_date=date(2020, 6, 2), birth_date=date(1991, 6, 3)
    )
    monkeypatch.setenv("PLAUDIT_SIMULATED_CLOCK_START", "2026-06-05T12:00:00+00:00")
    monkeypatch.setenv("PLAUDIT_SIMULATED_CLOCK_SPEED", "1")

    assert main(["scheduler", "--once"]) == 0
    assert "awarded=2" in capsys.readouterr().out
    assert main(["scheduler", "--once"]) == 0
    assert "awarded=0" in capsys.readouterr().out
    assert [key.rsplit(":", 1)[1] for key, _ in milestone_transactions(store)] == ["2026-06-02", "2026-06-03"]
    assert balances(store, person)["wallet"] == 200 + 50


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_runs_the_scheduler_in_process(cli_env, tmp_path):
    env, store = cli_env
    person = employee(store, hire_date=date(2021, 6, 15), birth_date=None)
    child_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PLAUDIT_")},
        **env,
        "PLAUDIT_SIMULATED_CLOCK_START": "2026-06-15T10:00:00+00:00",
        "PLAUDIT_SIMULATED_CLOCK_SPEED": "1",
    }
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "plaudit.cli", "serve", "--port", str(free_port())],
        env=child_env,
        stdout=log,
        stderr=log,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and balances(store, person)["wallet"] == 0:
            time.sleep(0.2)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    assert balances(store, person)["wallet"] == 500, (tmp_path / "serve.log").read_text()[-3000:]
