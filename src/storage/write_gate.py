"""A queue for SQLite writers: wait on an OS file lock instead of SQLite's sleeping busy handler.

SQLite lets one writer in at a time; the others retry in growing sleeps (up to 100 ms each), so
a few busy processes spend most of their time asleep. Writers here first take an exclusive
`flock` on `<database>.writelock`: waiters sleep in the kernel and wake as soon as it is free.
The gate is reentrant per thread, so a thread that already writes never waits on itself.
"""

from __future__ import annotations

import fcntl
import os
import threading


class WriteGate:
    def __init__(self, database_path: str) -> None:
        self.path = database_path + ".writelock"
        self._lock = threading.Lock()  # in-process queue; flock orders the processes
        self._local = threading.local()
        self._fd: int | None = None
        self._pid: int | None = None
        self._holders: set[int] = set()  # ids of DBAPI connections inside the gate

    def enter(self, dbapi_connection: object) -> None:
        depth = getattr(self._local, "depth", 0)
        if depth == 0:
            self._lock.acquire()
            try:
                fcntl.flock(self._file(), fcntl.LOCK_EX)
            except BaseException:
                self._lock.release()
                raise
        self._local.depth = depth + 1
        self._holders.add(_key(dbapi_connection))

    def leave(self, dbapi_connection: object) -> None:
        key = _key(dbapi_connection)
        if key not in self._holders:
            return  # a reader, or a writer whose BEGIN never ran
        self._holders.discard(key)
        self._local.depth -= 1
        if self._local.depth == 0:
            fcntl.flock(self._file(), fcntl.LOCK_UN)
            self._lock.release()

    def _file(self) -> int:
        if self._pid != os.getpid():  # a forked worker needs its own open file
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd


def _key(connection: object) -> int:
    """The raw DBAPI connection's identity (SQLAlchemy may hand over its pool proxy)."""
    return id(getattr(connection, "dbapi_connection", connection))
