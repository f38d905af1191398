"""The SQLAlchemy unit of work: one connection and one database transaction per `with` block."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rewards.clock import Clock
from rewards.ports import DuplicateKey
from storage.crypto import BlindIndex, FieldCipher
from storage.engine import is_sqlite, late_lock
from storage.repositories.catalog import SqlCatalogRepository
from storage.repositories.employees import EmployeeCodec, SqlEmployeeRepository
from storage.repositories.ledger import AccountDirectory, SqlLedgerRepository
from storage.repositories.outbox import SqlEventPublisher
from storage.repositories.recognitions import SqlRecognitionRepository
from storage.repositories.redemptions import SqlRedemptionRepository


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
            self.orm = Session(bind=self.connection(), expire_on_commit=False, autoflush=True,
                               join_transaction_mode="rollback_only")
        return getattr(self.orm, name)


class SqlUnitOfWork:
    """Repositories over one connection; nothing is written until `commit()`."""

    def __init__(self, engine: Engine, cipher: FieldCipher, blind_index: BlindIndex,
                 clock: Clock, directory: AccountDirectory) -> None:
        self.engine = engine
        self.cipher = cipher
        self.codec = EmployeeCodec(cipher, blind_index)
        self.clock = clock
        self.directory = directory
        self.session: UnitSession | None = None

    def lock_late(self) -> SqlUnitOfWork:
        """Let reads before the first write (or `ledger.lock`) run before SQLite's write lock.

        For use cases that re-check what matters under the lock: on SQLite nothing read
        before it is serialised with other writers. PostgreSQL is unchanged (rows are locked).
        """
        if is_sqlite(self.engine):
            self.engine = late_lock(self.engine)
        return self

    def __enter__(self) -> SqlUnitOfWork:
        if self.session is not None:
            raise RuntimeError("this unit of work is already open")
        session = self.session = UnitSession(self.engine.connect())
        self.employees = SqlEmployeeRepository(session, self.codec)
        self.ledger = SqlLedgerRepository(session, self.directory, lock_rows=not is_sqlite(self.engine))
        self.recognitions = SqlRecognitionRepository(session)
        self.catalog = SqlCatalogRepository(session)
        self.redemptions = SqlRedemptionRepository(session, self.cipher)
        self.events = SqlEventPublisher(session, self.clock)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.session is not None
        session, self.session = self.session, None
        session.close()

    def commit(self) -> None:
        assert self.session is not None
        self.ledger.locked.clear()  # row locks end with the transaction
        try:
            self.session.commit()
        except IntegrityError as exc:
            self.rollback()
            if "idempotency_key" in str(exc.orig):
                raise DuplicateKey(str(exc.orig)) from None
            raise

    def rollback(self) -> None:
        assert self.session is not None
        self.ledger.locked.clear()
        self.session.rollback()
