"""The SQLAlchemy unit of work: one connection and one database transaction per `with` block."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from rewards.clock import Clock
from rewards.ports import DuplicateKey
from storage.catalog.items import SqlCatalogRepository
from storage.catalog.redemptions import SqlRedemptionRepository
from storage.database.engine import is_sqlite, late_lock
from storage.database.unit_session import UnitSession
from storage.delivery.outbox import SqlEventPublisher
from storage.delivery.wake import outbox_committed
from storage.encryption.ciphers import BlindIndex, FieldCipher
from storage.ledger.repository import AccountDirectory, SqlLedgerRepository
from storage.people.employees import EmployeeCodec, SqlEmployeeRepository
from storage.people.teams import SqlTeamRepository
from storage.recognition.recognitions import SqlRecognitionRepository
from storage.recognition.tallies import SqlTallyRepository


class SqlUnitOfWork:
    """Repositories over one connection; nothing is written until `commit()`."""

    def __init__(
        self,
        engine: Engine,
        cipher: FieldCipher,
        blind_index: BlindIndex,
        clock: Clock,
        directory: AccountDirectory,
    ) -> None:
        self.engine = engine
        self.cipher = cipher
        self.codec = EmployeeCodec(cipher, blind_index)
        self.clock = clock
        self.directory = directory
        self._session: UnitSession | None = None

    @property
    def session(self) -> UnitSession:
        """The open unit's session; using it outside `with` is a programming error."""
        if self._session is None:
            raise RuntimeError("this unit of work is not open")
        return self._session

    def rechecked_under_lock(self) -> SqlUnitOfWork:
        """Let reads before the first write (or `ledger.lock`) run before SQLite's write lock.

        For use cases that re-check what matters under the lock: on SQLite nothing read
        before it is serialised with other writers. PostgreSQL is unchanged (rows are locked).
        """
        if self._session is not None:
            raise RuntimeError("the locking of an open unit of work cannot change")
        if is_sqlite(self.engine):
            self.engine = late_lock(self.engine)
        return self

    def __enter__(self) -> SqlUnitOfWork:
        if self._session is not None:
            raise RuntimeError("this unit of work is already open")
        session = self._session = UnitSession(self.engine.connect())
        self.employees = SqlEmployeeRepository(session, self.codec)
        self.ledger = SqlLedgerRepository(session, self.directory, lock_rows=not is_sqlite(self.engine))
        self.recognitions = SqlRecognitionRepository(session)
        self.tallies = SqlTallyRepository(session)
        self.catalog = SqlCatalogRepository(session)
        self.redemptions = SqlRedemptionRepository(session, self.cipher)
        self.teams = SqlTeamRepository(session)
        self.events = SqlEventPublisher(session, self.clock)
        return self

    def __exit__(self, *exc: object) -> None:
        session, self._session = self.session, None
        session.close()

    def commit(self) -> None:
        self.ledger.locked.clear()  # row locks end with the transaction
        try:
            self.session.commit()
        except IntegrityError as exc:
            self.rollback()
            if "idempotency_key" in str(exc.orig):
                raise DuplicateKey(str(exc.orig)) from None
            raise
        if self.events.written:  # wake the dispatchers now rather than at the next sweep
            self.events.written = False
            outbox_committed()

    def rollback(self) -> None:
        self.ledger.locked.clear()
        self.events.written = False
        self.session.rollback()
