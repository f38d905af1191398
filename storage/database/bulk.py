"""Helpers for statements over many values at once (batches of thousands)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import BigInteger, Connection, Engine, String, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY


def among(bind, column, values: Sequence, *, integers: bool = False):
    """`column IN values`: one array parameter on PostgreSQL (fast to build for thousands of
    values), an ordinary IN list elsewhere. `bind`: an engine, a connection, or a unit of work's
    session."""
    dialect = bind.dialect if isinstance(bind, Connection | Engine) else bind.connection().dialect
    if dialect.name == "postgresql":
        kind = ARRAY(BigInteger if integers else String)
        return column == any_(bindparam(None, list(values), type_=kind))
    return column.in_(list(values))
