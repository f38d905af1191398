"""Statements with a small `IN (…)` list, built once per list length.

An expanding bind parameter rewrites the SQL text on every execution; for the one to eight
ids a hot path passes, a statement per length is compiled once and reused from the cache.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam

from storage.database.prepared import Prepared

FIXED_LENGTHS = 8


class InList:
    """`build(values)` gives a statement whose IN list is `values`; `for_keys` picks one for keys."""

    def __init__(self, name: str, build: Callable[[Any], Any], type_: Any = None) -> None:
        self.name = name
        self.type_ = type_
        self.build = build
        self._fixed: dict[int, Any] = {}
        self._prepared: dict[int, Prepared] = {}
        self._expanding = build(bindparam(name, expanding=True, type_=type_))

    def for_keys(self, keys: Sequence[Any]) -> tuple[Any, dict[str, Any]]:
        """The statement and its parameters for these keys."""
        if not keys or len(keys) > FIXED_LENGTHS:
            return self._expanding, {self.name: list(keys)}
        statement = self._fixed.get(len(keys))
        if statement is None:
            params = [bindparam(f"{self.name}_{i}", type_=self.type_) for i in range(len(keys))]
            statement = self._fixed[len(keys)] = self.build(params)
        return statement, {f"{self.name}_{i}": key for i, key in enumerate(keys)}

    def rows(self, connection: Connection, keys: Sequence[Any], params: dict[str, Any] | None = None) -> list:
        """Run the statement for these keys (and other parameters); its rows as raw tuples."""
        statement, key_params = self.for_keys(keys)
        if not keys or len(keys) > FIXED_LENGTHS:  # the expanding form: SQLAlchemy runs it
            return [tuple(row) for row in connection.execute(statement, {**(params or {}), **key_params})]
        cursor = self._prepared_for(len(keys), statement).run(connection, {**(params or {}), **key_params})
        found = cursor.fetchall()
        cursor.close()
        return found

    def records(self, connection: Connection, keys: Sequence[Any]) -> list:
        """Run the statement for these keys; its rows with named, type-converted values."""
        statement, key_params = self.for_keys(keys)
        if not keys or len(keys) > FIXED_LENGTHS:
            return list(connection.execute(statement, key_params))
        return self._prepared_for(len(keys), statement).records(connection, key_params)

    def _prepared_for(self, length: int, statement: Any) -> Prepared:
        prepared = self._prepared.get(length)
        if prepared is None:
            prepared = self._prepared[length] = Prepared(statement)
        return prepared
