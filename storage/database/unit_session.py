"""A unit of work's session: its connection, and an ORM session over it only when one is asked for."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar, TypeVarTuple, overload

from sqlalchemy import Connection, Executable, Result, ScalarResult
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.sql.selectable import TypedReturnsRows

T = TypeVar("T")
Ts = TypeVarTuple("Ts")


class UnitSession:
    """The unit of work's connection, and an ORM session over it made only when first used.

    The hot paths (a give, an award) run Core statements on `connection()` and never pay for
    an ORM session; the ORM operations below go to one bound to the same connection and
    transaction (made on first use), which never commits on its own: `commit()` does.
    """

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._orm: Session | None = None

    def connection(self) -> Connection:
        """The connection, in a transaction: begun on first use (statements run on its raw
        cursor would not begin one that SQLAlchemy then commits)."""
        if not self._connection.in_transaction():
            self._connection.begin()
        return self._connection

    def commit(self) -> None:
        if self._orm is not None:
            self._orm.commit()  # flushes into the connection's transaction
        self._connection.commit()

    def rollback(self) -> None:
        if self._orm is not None:
            self._orm.rollback()
        self._connection.rollback()

    def close(self) -> None:
        try:
            if self._orm is not None:
                self._orm.close()
        finally:
            try:
                # Explicitly: after a failed COMMIT the connection would otherwise go back to
                # the pool still in its transaction (on SQLite, holding the write lock).
                self._connection.rollback()
            finally:
                self._connection.close()

    def orm(self) -> Session:
        """The ORM session over this connection and transaction, made on first use."""
        if self._orm is None:
            self._orm = Session(
                bind=self.connection(),
                expire_on_commit=False,
                autoflush=True,
                join_transaction_mode="rollback_only",
            )
        return self._orm

    # The ORM operations repositories use, each handed to the ORM session (typed as its own).
    @overload
    def execute(self, statement: TypedReturnsRows[*Ts], params: Any = None) -> Result[*Ts]: ...
    @overload
    def execute(self, statement: Executable, params: Any = None) -> Result[*tuple[Any, ...]]: ...
    def execute(self, statement: Executable, params: Any = None) -> Result[*tuple[Any, ...]]:
        return self.orm().execute(statement, params)

    @overload
    def scalar(self, statement: TypedReturnsRows[T], params: Any = None) -> T | None: ...
    @overload
    def scalar(self, statement: Executable, params: Any = None) -> Any: ...
    def scalar(self, statement: Executable, params: Any = None) -> Any:
        return self.orm().scalar(statement, params)

    @overload
    def scalars(self, statement: TypedReturnsRows[T], params: Any = None) -> ScalarResult[T]: ...
    @overload
    def scalars(self, statement: Executable, params: Any = None) -> ScalarResult[Any]: ...
    def scalars(self, statement: Executable, params: Any = None) -> ScalarResult[Any]:
        return self.orm().scalars(statement, params)

    def get(self, entity: type[T], ident: Any, **kw: Any) -> T | None:
        return self.orm().get(entity, ident, **kw)

    def add(self, instance: object) -> None:
        self.orm().add(instance)

    def add_all(self, instances: Iterable[object]) -> None:
        self.orm().add_all(instances)

    def delete(self, instance: object) -> None:
        self.orm().delete(instance)

    def flush(self) -> None:
        self.orm().flush()

    def begin_nested(self) -> SessionTransaction:
        return self.orm().begin_nested()
