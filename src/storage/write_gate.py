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
        self._fd: int | None = None
        self._pid: int | None = None
        self._depth: dict[int, int] = {}  # thread ident -> open write transactions
        self._holders: dict[int, int] = {}  # DBAPI connection -> thread ident that entered

    def enter(self, dbapi_connection: object) -> None:
        thread = threading.get_ident()
        depth = self._depth.get(thread, 0)
        if depth == 0:
            self._lock.acquire()
            try:
                fcntl.flock(self._file(), fcntl.LOCK_EX)
            except BaseException:
                self._lock.release()
                raise
        self._depth[thread] = depth + 1
        self._holders[_key(dbapi_connection)] = thread

    def leave(self, dbapi_connection: object) -> None:
        # May run in another thread (a leaked connection rolled back by the garbage collector):
        # the count that drops is the one of the thread that entered.
        thread = self._holders.pop(_key(dbapi_connection), None)
        if thread is None:
            return  # a reader, or a writer whose BEGIN never ran
        self._depth[thread] -= 1
        if self._depth[thread] == 0:
            del self._depth[thread]
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
