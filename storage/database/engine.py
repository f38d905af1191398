"""Engines for SQLite (embedded) and PostgreSQL, configured for safe concurrent writes."""

from __future__ import annotations

import contextlib
import os
import time

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError

from storage.database.sqlite_gate import GatedConnection, gate_for

SQLITE_BUSY_TIMEOUT_MS = 30_000
# A failed statement's error (and the SQL log) never carries its parameters: they hold
# ciphertexts, blind-index keys and whatever a caller sent.
HIDE_PARAMETERS = True
PING_AFTER_IDLE_SECONDS = 5.0
IDLE_SINCE = "plaudit_idle_since"
READ_ONLY = "plaudit_read_only"
# SQLite: reads before the transaction's first write run before its write lock (see late_lock).
LATE_LOCK = "plaudit_late_lock"
_READ_PREFIXES = ("SELECT", "select")


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever driver the URL names (or none)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> Engine:
    url = normalise_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        return _sqlite_engine(url, echo)
    engine = create_engine(
        url, pool_size=pool_size, max_overflow=pool_size, echo=echo, hide_parameters=HIDE_PARAMETERS
    )
    _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Test a pooled connection before use only if it sat idle a while.

    `pool_pre_ping` would cost a round trip on every checkout, one per request; a connection
    in steady use is known to be alive, and a failure mid-use is still detected and replaced.
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn, record) -> None:
        record.info[IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn, record, _proxy) -> None:
        since = record.info.pop(IDLE_SINCE, None)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            cursor = dbapi_conn.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            dbapi_conn.rollback()
        except Exception as exc:
            raise DisconnectionError("pooled connection is gone") from exc  # the pool reconnects


def _create_private(database: str | None) -> None:
    """Create a new SQLite file readable by its owner only; SQLite gives its -wal and -shm
    files the same mode. An existing file is left as it is."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    with contextlib.suppress(FileExistsError, FileNotFoundError):  # no folder: SQLite says so
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _sqlite_engine(url: str, echo: bool) -> Engine:
    _create_private(make_url(url).database)
    gate = gate_for(make_url(url).database)
    engine = create_engine(
        url,
        echo=echo,
        hide_parameters=HIDE_PARAMETERS,
        pool_size=20,
        max_overflow=40,
        connect_args={
            "check_same_thread": False,
            "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
            "factory": GatedConnection,
        },
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
        dbapi_conn.gate = gate
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        if gate.checkpoints_itself:
            cursor.execute("PRAGMA wal_autocheckpoint=0")  # see storage/database/sqlite_gate.py
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA secure_delete=ON")  # erased text is zeroed, not left in free pages
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        # Writers take SQLite's write lock up front, so check-then-write is serialised and a
        # reader never has to upgrade its lock (the source of SQLITE_BUSY deadlocks).
        options = conn.get_execution_options()
        if options.get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")
            return
        dbapi_conn = conn.connection.dbapi_connection
        if options.get(LATE_LOCK):
            dbapi_conn.write_pending = True  # reads run on their own until the first write
            return
        # Queue for the write lock rather than sleep in SQLite's busy handler.
        dbapi_conn.begin_immediate()

    @event.listens_for(engine, "before_cursor_execute")
    def _first_write(conn, _cursor, statement, _params, _context, _many):
        dbapi_conn = conn.connection.dbapi_connection
        if dbapi_conn.write_pending and not statement.lstrip().startswith(_READ_PREFIXES):
            dbapi_conn.write_now()

    return engine


def late_lock(engine: Engine) -> Engine:
    """The same pool, for a unit of work whose reads before its first write (or `write_lock`)
    need not be serialised with other writers: on SQLite they run before the write lock."""
    return _with_option(engine, LATE_LOCK)


def write_lock(connection) -> None:
    """Take SQLite's write lock now if this transaction put it off (PostgreSQL: nothing to do)."""
    if connection.dialect.name == "sqlite":
        connection.connection.dbapi_connection.write_now()


def read_only(engine: Engine) -> Engine:
    """The same pool, for queries that never write (no write lock on SQLite)."""
    return _with_option(engine, READ_ONLY)


def single_reads(engine: Engine) -> Engine:
    """The same pool, for reads of one statement: on PostgreSQL without BEGIN and ROLLBACK
    (autocommit: one round trip where there were three); on SQLite as `read_only`."""
    if is_sqlite(engine):
        return read_only(engine)
    return _with_option(engine, "isolation_level", "AUTOCOMMIT")


def _with_option(engine: Engine, option: str, value: object = True) -> Engine:
    # Made once per engine and kept on it: a new option engine per unit of work costs more
    # than the statements of a small read.
    if engine.get_execution_options().get(option) == value:
        return engine
    variants = engine.__dict__.setdefault("_plaudit_variants", {})
    found = variants.get((option, value))
    if found is None:
        found = variants[(option, value)] = engine.execution_options(**{option: value})
    return found


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
