"""Statements with a small `IN (…)` list, built once per list length.

An expanding bind parameter rewrites the SQL text on every execution; for the one to eight
ids a hot path passes, a statement per length is compiled once and reused from the cache.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import bindparam

FIXED_LENGTHS = 8


class InList:
    """`build(values)` gives a statement whose IN list is `values`; `for_keys` picks one for keys."""

    def __init__(self, name: str, build: Callable[[Any], Any], type_: Any = None) -> None:
        self.name = name
        self.type_ = type_
        self.build = build
        self._fixed: dict[int, Any] = {}
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
