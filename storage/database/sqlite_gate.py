"""One SQLite writer at a time, queued: threads on a lock, processes on a file lock.

SQLite lets one writer in; the others wait in its busy handler, which sleeps 1, 2, 5 … 100 ms
between tries, so under load a writer often sleeps long after the lock came free (the p99).
Taking this gate before `BEGIN IMMEDIATE` makes waiters block instead: the kernel wakes the
next process when the file lock is released, and the next thread when the thread lock is.
SQLite's own lock still guards correctness; the gate only orders who asks for it.

SQLite's automatic checkpoint runs inside COMMIT, with fsyncs, and so would keep the gate
closed while the disk is busy. With a gate, the engine turns it off and every CHECKPOINT_EVERY
commits a short-lived thread runs one on a connection of its own (PASSIVE: writers carry on
meanwhile, as they would with SQLite's own); one at a time per process. The committing request
does not wait for the fsyncs: in a sync web worker that wait was about a tenth of an award.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import logging
import os
import sqlite3
import threading
from urllib.parse import quote

CHECKPOINT_EVERY = 100  # commits per process; a give writes ~15 pages, SQLite's default is 1000

_gates: dict[str | None, WriteGate] = {}
_gates_lock = threading.Lock()


def gate_for(database: str | None) -> WriteGate:
    """The process's one gate for this database file (shared by every engine on it)."""
    real = None  # the file's real path, when the database is a file on disk
    if database and database != ":memory:" and not database.startswith("file:"):
        real = os.path.realpath(database)
    path = real + "-writelock" if real is not None else None
    with _gates_lock:
        gate = _gates.get(path)
        if gate is None or path is None:
            gate = _gates[path] = WriteGate(path, database=real)
        return gate


def _renew_after_fork() -> None:
    """In a forked child (gunicorn workers, multiprocessing): fresh locks and lock files.

    Runs before any thread of the child exists, so no writer can see a half-renewed gate; the
    parent's locks may have been held by one of its threads at the moment of the fork.
    """
    global _gates_lock
    _gates_lock = threading.Lock()
    for gate in _gates.values():
        gate._reset()


os.register_at_fork(after_in_child=_renew_after_fork)


class WriteGate:
    """A per-process thread lock in front of a file lock shared by every process."""

    def __init__(
        self, lock_path: str | None, wait_seconds: float = 30.0, database: str | None = None
    ) -> None:
        self.lock_path = lock_path
        self.database = database
        self.wait_seconds = wait_seconds
        self._fd: int | None = None
        self._reset()

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._owner: int | None = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None  # never flock a number the next open may hand to another file
        self._fd = None if self.lock_path is None else os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        self._commits = itertools.count(1)
        self._checkpointing = threading.Lock()  # held while this process runs a checkpoint

    @property
    def checkpoints_itself(self) -> bool:
        """On disk, checkpoints are run after commits by the gate's users, not inside them."""
        return self.lock_path is not None

    def checkpoint_due(self) -> bool:
        return self.checkpoints_itself and next(self._commits) % CHECKPOINT_EVERY == 0

    def committed(self) -> None:
        """Count a commit; every CHECKPOINT_EVERY, checkpoint in the background (unless this
        process is still running the last one: the next due commit asks again)."""
        if self.database is None or not self.checkpoint_due():
            return
        if self._checkpointing.acquire(blocking=False):
            threading.Thread(
                target=self._checkpoint, args=(self.database,), name="plaudit-sqlite-checkpoint", daemon=True
            ).start()

    def _checkpoint(self, database: str) -> None:
        try:
            # Another connection checkpointing at the same time: the next due commit tries again.
            with contextlib.suppress(sqlite3.Error):
                # mode=rw: a database removed meanwhile is not created anew, empty
                conn = sqlite3.connect(f"file:{quote(database)}?mode=rw", uri=True, timeout=5)
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").close()
                finally:
                    conn.close()
        finally:
            self._checkpointing.release()

    def enter(self) -> bool:
        """Wait for the gate; False (not taken) when this thread already holds it."""
        me = threading.get_ident()
        if self._owner == me:
            return False  # a nested writer on this thread: SQLite's busy handler decides, as before
        if not self._lock.acquire(timeout=self.wait_seconds):
            return False  # something odd holds it: fall back to SQLite's busy handler
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._lock.release()
            raise
        self._owner = me
        return True

    def leave(self) -> None:
        self._owner = None
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._lock.release()


# SQLAlchemy's statement logger: with SQL logging on, the driver's own BEGIN shows beside its statements.
statement_log = logging.getLogger("sqlalchemy.engine.Engine")


class GatedConnection(sqlite3.Connection):
    """A sqlite3 connection that lets the gate go only after its transaction has ended."""

    gate: WriteGate | None = None
    holds_gate = False
    # Set for a transaction whose reads may run before its write lock: BEGIN IMMEDIATE then
    # waits for `write_now()` (its first write, or an explicit lock); each read before it is
    # its own snapshot.
    write_pending = False

    def begin_write(self) -> None:
        if self.gate is not None:
            self.holds_gate = self.gate.enter()

    def begin_immediate(self) -> None:
        """Queue at the gate, then take SQLite's write lock for a new transaction."""
        self.begin_write()
        try:
            statement_log.info("BEGIN IMMEDIATE (on the driver)")
            self.execute("BEGIN IMMEDIATE").close()
        except BaseException:
            self.rollback()  # lets the gate go
            raise

    def write_now(self) -> None:
        """Take the write lock now if this transaction put it off (a no-op otherwise)."""
        if self.write_pending:
            self.write_pending = False
            self.begin_immediate()

    def commit(self) -> None:
        self.write_pending = False
        try:
            super().commit()
        finally:
            self._release()
        if self.gate is not None:
            self.gate.committed()

    def rollback(self) -> None:
        self.write_pending = False
        try:
            super().rollback()
        finally:
            self._release()

    def close(self) -> None:
        self.write_pending = False
        try:
            super().close()
        finally:
            self._release()

    def _release(self) -> None:
        if self.holds_gate and self.gate is not None:  # holding it implies a gate
            self.holds_gate = False
            self.gate.leave()
