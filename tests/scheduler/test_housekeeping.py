"""Housekeeping: stored API responses are forgotten once their replay window has passed."""

from __future__ import annotations

from scheduler.config import SchedulerConfig
from scheduler.jobs import JobContext, housekeeping
from storage.access import idempotency


def test_old_api_responses_are_purged_and_recent_ones_kept(store, clock):
    idempotency.record(store, "pc_1", "old", "f" * 64, 201, "{}", {})
    clock.advance(hours=30)
    idempotency.record(store, "pc_1", "recent", "f" * 64, 201, "{}", {})
    clock.advance(hours=20)  # "old" is 50 h old, "recent" 20 h

    removed = housekeeping(JobContext(store, SchedulerConfig()))

    assert removed == 1
    assert idempotency.find(store, "pc_1", "old") is None
    assert idempotency.find(store, "pc_1", "recent") is not None


def test_retention_never_drops_below_the_promised_day(store, clock):
    idempotency.record(store, "pc_1", "k", "f" * 64, 201, "{}", {})
    clock.advance(hours=23)
    config = SchedulerConfig(idempotency_retention_hours=1)
    assert housekeeping(JobContext(store, config)) == 0
    assert idempotency.find(store, "pc_1", "k") is not None
