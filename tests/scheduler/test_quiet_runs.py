"""Quiet, tidy runs: no log line per scheduler tick, Slack off sets its messages aside,
no temporary folder left behind, and the lock files a run makes are ignored by git."""

from __future__ import annotations

import logging
import os
import subprocess
import time
from pathlib import Path

from prometheus_client import values

from plaudit.observability import multiproc
from plaudit.scheduler_assembly import job_context
from plaudit.settings import Settings
from scheduler.config import SchedulerConfig
from scheduler.jobs import JobContext, run_all_once
from scheduler.runner import SchedulerService
from storage.delivery.dispatch import oldest_pending
from storage.scheduling.leader_lock import lock_for
from tests.factories import employee

ROOT = Path(__file__).resolve().parents[2]


def test_scheduler_ticks_log_nothing_at_info(sqlite_store, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    config = SchedulerConfig(leader_poll_seconds=0.1, lock_file=str(tmp_path / "lock"), outbox_interval=0.1)
    service = SchedulerService(JobContext(sqlite_store, config), lock_for(sqlite_store, config.lock_file))
    thread = service.start_in_thread()
    assert service.leading.wait(30)
    time.sleep(0.6)  # several outbox ticks
    service.stop()
    thread.join(30)
    ticks = [r.getMessage() for r in caplog.records if r.name.startswith("apscheduler")]
    assert not [m for m in ticks if "Running job" in m or "executed successfully" in m], ticks


def test_without_a_slack_token_slack_messages_are_set_aside_not_left_pending(store):
    from rewards.services.awards import IssueAward, issue_award

    person = employee(store)
    issue_award(store.uow(), IssueAward([person.id], 5, "for the launch", "k-slack-off"), store.clock)
    assert oldest_pending(store) is not None  # a Slack DM waits
    settings = Settings.from_env({"DATABASE_URL": "unused"})
    run_all_once(job_context(settings, store))
    assert oldest_pending(store) is None


def test_the_metrics_folder_made_for_a_run_is_removed_after_it(monkeypatch):
    monkeypatch.delenv(multiproc.ENV, raising=False)
    folder = multiproc.prepare()
    try:
        assert os.path.isdir(folder)
    finally:
        multiproc.cleanup(folder)
    assert not os.path.exists(folder)
    assert multiproc.ENV not in os.environ


def test_an_operators_metrics_folder_is_kept(tmp_path, monkeypatch):
    monkeypatch.setenv(multiproc.ENV, str(tmp_path))
    try:
        multiproc.cleanup(multiproc.prepare())
        assert tmp_path.is_dir()
    finally:
        monkeypatch.delenv(multiproc.ENV)
        values.ValueClass = values.get_value_class()  # this process's metrics in memory again


def test_the_lock_files_of_a_run_are_ignored_by_git():
    names = [
        "plaudit.db-writelock",
        "data/plaudit.db.scheduler.lock",
        ".plaudit-scheduler.lock",
        "plaudit.db-wal",
        "plaudit.db-shm",
        ".plaudit/dev-keys.json",
    ]
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", *names], cwd=ROOT, capture_output=True, text=True
    )
    assert sorted(result.stdout.split()) == sorted(names)
