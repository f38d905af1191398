"""Counts of scheduled job runs and their last success, kept in the database for /metrics."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from storage.schema.scheduling import SchedulerJobRunRow
from storage.store import Store

T = SchedulerJobRunRow.__table__


def record(store: Store, job: str, *, ok: bool) -> None:
    """Count one run of `job`, successful or not."""
    now = store.clock.now()
    changes = {
        "runs": T.c.runs + 1,
        "failures": T.c.failures + (0 if ok else 1),
        ("last_success_at" if ok else "last_failure_at"): now,
    }
    with store.engine.begin() as conn:
        if conn.execute(update(T).where(T.c.job == job).values(changes)).rowcount:
            return
        try:
            with conn.begin_nested():
                conn.execute(
                    insert(T).values(
                        job=job,
                        runs=1,
                        failures=0 if ok else 1,
                        last_success_at=now if ok else None,
                        last_failure_at=None if ok else now,
                    )
                )
        except IntegrityError:  # another scheduler counted its first run at the same moment
            conn.execute(update(T).where(T.c.job == job).values(changes))


def all_runs(conn: Connection) -> list[tuple[str, int, int, datetime | None]]:
    """Each job's (name, runs, failures, last success)."""
    rows = conn.execute(select(T.c.job, T.c.runs, T.c.failures, T.c.last_success_at)).all()
    return [(job, int(runs), int(failures), last) for job, runs, failures, last in rows]
