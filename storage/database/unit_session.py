"""A unit of work's session: its connection, and an ORM session over it only when one is asked for."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session


class UnitSession:
    """The unit of work's connection, and an ORM session over it made only when first used.

    The hot paths (a give, an award) run Core statements on `connection()` and never pay for
    an ORM session; anything else (`execute`, `scalars`, `get`, …) goes to one bound to the
    same connection and transaction, which never commits on its own: `commit()` does.
    """

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self.orm: Session | None = None

    def connection(self) -> Connection:
        """The connection, in a transaction: begun on first use (statements run on its raw
        cursor would not begin one that SQLAlchemy then commits)."""
        if not self._connection.in_transaction():
            self._connection.begin()
        return self._connection

    def commit(self) -> None:
        if self.orm is not None:
            self.orm.commit()  # flushes into the connection's transaction
        self._connection.commit()

    def rollback(self) -> None:
        if self.orm is not None:
            self.orm.rollback()
        self._connection.rollback()

    def close(self) -> None:
        try:
            if self.orm is not None:
                self.orm.close()
        finally:
            try:
                # Explicitly: after a failed COMMIT the connection would otherwise go back to
                # the pool still in its transaction (on SQLite, holding the write lock).
                self._connection.rollback()
            finally:
                self._connection.close()

    def __getattr__(self, name: str) -> Any:
        if self.orm is None:
            self.orm = Session(
                bind=self.connection(),
                expire_on_commit=False,
                autoflush=True,
                join_transaction_mode="rollback_only",
            )
        return getattr(self.orm, name)
