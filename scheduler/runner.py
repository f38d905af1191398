"""The scheduler process: wait to lead, then run the jobs with APScheduler until told to stop."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from scheduler.jobs import JOBS, JobContext, run_recorded
from storage.scheduling.leader_lock import LeaderLock

log = logging.getLogger("plaudit.scheduler")
# APScheduler logs "Running job …" and "… executed successfully" at INFO on every tick (the
# outbox runs every few seconds); failures still come through at WARNING and above.
TICK_LOGGERS = ("apscheduler.executors", "apscheduler.scheduler")


class SchedulerService:
    """One candidate scheduler: it runs the jobs only while it holds the leader lock."""

    def __init__(self, ctx: JobContext, lock: LeaderLock) -> None:
        self.ctx = ctx
        self.lock = lock
        self.poll = ctx.config.leader_poll_seconds
        self.stop_event = threading.Event()
        self.leading = threading.Event()

    def run(self) -> None:
        """Block until `stop()`: deliver the outbox (leader or not), follow, take over, lead."""
        log.info("scheduler started; waiting to lead")
        dispatcher = self.ctx.dispatcher
        if dispatcher is not None:
            dispatcher.start()
        try:
            while not self.stop_event.is_set():
                if self._try_acquire():
                    self._lead()
                else:
                    self.stop_event.wait(self.poll)
        finally:
            if dispatcher is not None:
                dispatcher.stop()
        log.info("scheduler stopped")

    def stop(self) -> None:
        self.stop_event.set()

    def start_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="plaudit-scheduler", daemon=True)
        thread.start()
        return thread

    def _try_acquire(self) -> bool:
        try:
            return self.lock.try_acquire()
        except Exception as exc:  # the database is down: keep waiting
            log.warning("scheduler lock unavailable (%s); retrying", type(exc).__name__)
            return False

    def _lead(self) -> None:
        log.info("scheduler: this process is the leader")
        self.leading.set()
        apscheduler = self._build()
        apscheduler.start()
        try:
            while not self.stop_event.wait(self.poll):
                if not self.lock.still_held():
                    log.warning("scheduler: lost the leader lock; stepping down")
                    break
        finally:
            self.leading.clear()
            apscheduler.shutdown(wait=True)
            self.lock.release()

    def _build(self) -> BackgroundScheduler:
        for name in TICK_LOGGERS:
            if logging.getLogger(name).getEffectiveLevel() == logging.INFO:  # DEBUG asks for them
                logging.getLogger(name).setLevel(logging.WARNING)
        apscheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(4)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        now = datetime.now(UTC)
        for name, _, interval_attr in JOBS:
            apscheduler.add_job(
                run_recorded,
                "interval",
                seconds=getattr(self.ctx.config, interval_attr),
                args=[name, self.ctx],
                id=name,
                name=name,
                next_run_time=now,
            )
        return apscheduler
