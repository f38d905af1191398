"""Leader election: one active scheduler per database; a follower takes over when it goes."""

from __future__ import annotations

from scheduler.config import SchedulerConfig
from scheduler.jobs import JobContext
from scheduler.runner import SchedulerService
from storage.scheduling.leader_lock import FileLeaderLock, lock_for

WAIT = 30  # seconds: an upper bound for events that normally take well under a second


def candidate(store, tmp_path) -> SchedulerService:
    config = SchedulerConfig(
        leader_poll_seconds=0.2,
        lock_file=str(tmp_path / "lock") if store.engine.dialect.name == "sqlite" else None,
    )
    return SchedulerService(JobContext(store, config), lock_for(store, config.lock_file))


def test_only_one_candidate_leads_and_the_other_takes_over_when_it_stops(store, tmp_path):
    first, second = candidate(store, tmp_path), candidate(store, tmp_path)
    first.start_in_thread()
    assert first.leading.wait(WAIT)
    thread = second.start_in_thread()
    assert not second.leading.wait(1.0)  # it stays a follower while the first leads

    first.stop()
    assert second.leading.wait(WAIT)
    assert not first.leading.is_set()
    second.stop()
    thread.join(WAIT)
    assert not thread.is_alive()


def test_the_sqlite_lock_file_sits_next_to_the_database(sqlite_store):
    lock = lock_for(sqlite_store)
    assert isinstance(lock, FileLeaderLock)
    assert lock.path.name == "plaudit.db.scheduler.lock"
    other = lock_for(sqlite_store)
    assert lock.try_acquire() and not other.try_acquire()
    lock.release()
    assert other.try_acquire()
    other.release()
