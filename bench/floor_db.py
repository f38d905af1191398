"""What the floors (floor_give.py, floor_award.py) share: the database on the raw driver."""

from __future__ import annotations

import fcntl
import os
import threading

from sqlalchemy.engine import make_url

URL = make_url(os.environ["DATABASE_URL"])
SQLITE = URL.get_backend_name() == "sqlite"


def for_driver(sql: str) -> str:
    """SQL written with %s placeholders and SQL booleans, as this database's driver takes it."""
    return sql.replace("%s", "?").replace("false", "0") if SQLITE else sql


def connect():
    """A DB-API connection on which BEGIN and COMMIT are issued by the caller."""
    if SQLITE:
        import sqlite3

        conn = sqlite3.connect(URL.database, isolation_level=None, check_same_thread=False, timeout=30)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            conn.execute(f"PRAGMA {pragma}")
        return conn
    import psycopg

    return psycopg.connect(
        host=URL.host,
        port=URL.port,
        user=URL.username,
        password=URL.password,
        dbname=URL.database,
        autocommit=True,
    )


def rows(sql: str) -> list[tuple]:
    """All rows of one query, on a connection of its own."""
    conn = connect()
    cursor = conn.cursor()
    cursor.execute(sql)
    found = cursor.fetchall()
    conn.close()
    return found


class Writer:
    """SQLite: one writer at a time, queued on a thread lock and a file lock, as Plaudit's gate.
    PostgreSQL: no queue (rows are locked)."""

    def __init__(self) -> None:
        self.thread_lock = threading.Lock()
        self.fd = os.open(f"{URL.database}-floorlock", os.O_RDWR | os.O_CREAT) if SQLITE else None

    def __enter__(self) -> None:
        if SQLITE:
            self.thread_lock.acquire()
            fcntl.flock(self.fd, fcntl.LOCK_EX)

    def __exit__(self, *exc) -> None:
        if SQLITE:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            self.thread_lock.release()


class PerThread:
    """One connection per thread, opened on first use."""

    def __init__(self) -> None:
        self._local = threading.local()

    def get(self):
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = connect()
        return conn
