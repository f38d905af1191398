"""Leader election: one active scheduler per database (PostgreSQL advisory lock, or a file lock)."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from storage.database.engine import is_sqlite
from storage.store import Store

log = logging.getLogger("plaudit.scheduler.leader")
LOCK_NAME = "plaudit.scheduler"
# libpq keepalives: a leader whose host vanishes is noticed by the server in about 25 s.
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3}


class LeaderLock(Protocol):
    def try_acquire(self) -> bool: ...
    def still_held(self) -> bool: ...
    def release(self) -> None: ...


def advisory_key(name: str = LOCK_NAME) -> int:
    """A stable signed 64-bit key for pg_try_advisory_lock."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class PostgresLeaderLock:
    """A session-level advisory lock held on a dedicated connection: it dies with the process."""

    def __init__(self, url: str, name: str = LOCK_NAME) -> None:
        self.engine = create_engine(url, poolclass=NullPool, connect_args=KEEPALIVES)
        self.key = advisory_key(name)
        self.conn: Connection | None = None

    def try_acquire(self) -> bool:
        if self.conn is None:
            self.conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        got = bool(self.conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}))
        if not got:
            self._close()
        return got

    def still_held(self) -> bool:
        if self.conn is None:
            return False
        try:  # a session-level lock lasts as long as its session: alive means still held
            return self.conn.scalar(text("SELECT 1")) == 1
        except Exception:  # the connection is gone, and the lock with it
            self._close()
            return False

    def release(self) -> None:
        if self.conn is not None:
            try:
                self.conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            except Exception:
                log.warning("could not release the scheduler lock cleanly; closing its connection")
            self._close()

    def _close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):
                self.conn.close()
            self.conn = None


class FileLeaderLock:
    """flock on a file next to the SQLite database: the OS releases it when the process dies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def try_acquire(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self.fd = fd
        return True

    def still_held(self) -> bool:
        return self.fd is not None

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def lock_for(store: Store, lock_file: str | None = None) -> LeaderLock:
    """The right lock for the store's database."""
    url = store.engine.url
    if not is_sqlite(store.engine):
        return PostgresLeaderLock(url.render_as_string(hide_password=False))
    if lock_file:
        return FileLeaderLock(Path(lock_file))
    database = make_url(url).database
    if not database or database == ":memory:":
        return FileLeaderLock(Path.cwd() / ".plaudit-scheduler.lock")
    return FileLeaderLock(Path(database).with_name(Path(database).name + ".scheduler.lock"))
