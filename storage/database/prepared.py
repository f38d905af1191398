"""Hot statements run straight on the database driver, compiled once per dialect.

SQLAlchemy's per-execution work (cache key, parameter processing, result set-up, events)
costs more than SQLite takes to run a small statement, and on SQLite it is spent while the
write lock is held. A `Prepared` statement is compiled once; each call only converts its
parameters with the columns' own bind processors (dates, booleans, UTC) and runs the SQL on
the connection's DB-API cursor, inside the same transaction.
"""

from __future__ import annotations

import logging
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from sqlalchemy import Connection

from storage.database.engine import write_lock

# SQLAlchemy's own statement logger: with SQL logging on, these statements appear beside its own.
statement_log = logging.getLogger("sqlalchemy.engine.Engine")


class Prepared:
    """A Core statement, compiled once per dialect and run on the raw DB-API cursor."""

    def __init__(self, statement: Any, keys: Sequence[str] | None = None) -> None:
        self.statement = statement
        self.keys = list(keys) if keys is not None else None  # an INSERT's columns
        self.writes = not getattr(statement, "is_select", False)
        self._compiled: dict[str, tuple[str, list[str] | None, list, dict[str, Any]]] = {}
        self._readers: dict[str, tuple[Callable, list]] = {}

    def _for(self, dialect) -> tuple[str, list[str] | None, list, dict[str, Any]]:
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = self.statement.compile(dialect=dialect, column_keys=self.keys)
            processors, defaults = [], {}
            for name, bind in compiled.binds.items():
                process = bind.type.dialect_impl(dialect).bind_processor(dialect)
                if process is not None:
                    processors.append((name, process))
                if not bind.required and not callable(bind.value):
                    defaults[name] = bind.value
            names = list(compiled.positiontup) if compiled.positional else None
            found = self._compiled[dialect.name] = (compiled.string, names, processors, defaults)
        return found

    def _args(self, compiled, params: Mapping[str, Any]):
        _sql, names, processors, defaults = compiled
        values = {**defaults, **params}
        for name, process in processors:
            value = values.get(name)
            if value is not None:
                values[name] = process(value)
        return [values[n] for n in names] if names is not None else values

    def run(self, connection: Connection, params: Mapping[str, Any]):
        """Execute once; the DB-API cursor is returned for its rows."""
        compiled = self._for(connection.dialect)
        if self.writes:
            write_lock(connection)
        args = self._args(compiled, params)
        log_statement(compiled[0], args)
        cursor = dbapi_cursor(connection)
        cursor.execute(compiled[0], args)
        return cursor

    def run_many(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Execute once per row (executemany)."""
        compiled = self._for(connection.dialect)
        if self.writes:
            write_lock(connection)
        many = [self._args(compiled, row) for row in rows]
        log_statement(compiled[0], many)
        cursor = dbapi_cursor(connection)
        cursor.executemany(compiled[0], many)
        cursor.close()

    def records(self, connection: Connection, params: Mapping[str, Any]) -> list:
        """A SELECT's rows as named tuples, each value converted by its column's type."""
        make, processors = self._reader(connection.dialect)
        cursor = self.run(connection, params)
        found = cursor.fetchall()
        cursor.close()
        return [
            make(*(v if p is None or v is None else p(v) for p, v in zip(processors, row, strict=True)))
            for row in found
        ]

    def _reader(self, dialect) -> tuple[Callable, list]:
        found = self._readers.get(dialect.name)
        if found is None:
            columns = list(self.statement.selected_columns)
            processors = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns]
            record_type: Callable[..., Any] = namedtuple
            make = record_type("Record", [c.key for c in columns])
            found = self._readers[dialect.name] = (make, processors)
        return found

    def scalar(self, connection: Connection, params: Mapping[str, Any]) -> Any:
        """The first column of the first row (None when there is none)."""
        cursor = self.run(connection, params)
        row = cursor.fetchone()
        cursor.close()
        return None if row is None else row[0]


def dbapi_cursor(connection: Connection) -> Any:
    """A new cursor on the connection's DB-API connection, inside its transaction: for driver work
    a `Prepared` statement does not cover (COPY, rows converted in bulk). The caller closes it, and
    takes SQLite's write lock first (storage.database.engine.write_lock) before writing."""
    dbapi = connection.connection.dbapi_connection
    if dbapi is None:
        raise RuntimeError("the connection was closed")
    return dbapi.cursor()


def pipelined(connection: Connection) -> AbstractContextManager[object]:
    """On PostgreSQL, the statements run inside on the driver leave together (psycopg's pipeline
    mode) and each result is waited for only when read: several writes, one round trip. Errors
    surface at the first read or at the end of the block. Elsewhere, nothing changes."""
    if connection.dialect.name != "postgresql":
        return nullcontext()
    dbapi = connection.connection.dbapi_connection
    if dbapi is None:
        raise RuntimeError("the connection was closed")
    return dbapi.pipeline()


def log_statement(sql: str, args: object) -> None:
    """Log a statement run on the driver as SQLAlchemy logs its own (when SQL logging is on)."""
    if statement_log.isEnabledFor(logging.INFO):
        statement_log.info(sql)
        statement_log.info("[on the driver] [parameters hidden]")  # as the engine's hide_parameters


def integrity_error(connection: Connection) -> type[Exception]:
    """The driver's own IntegrityError (a raw cursor raises it unwrapped)."""
    return connection.dialect.loaded_dbapi.IntegrityError
