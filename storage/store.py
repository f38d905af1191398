"""The storage facade adapters are handed: an engine, the ciphers and a unit-of-work factory."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine, text

from rewards.clock import Clock, SystemClock
from storage.database.engine import make_engine, read_only
from storage.database.unit_of_work import SqlUnitOfWork
from storage.encryption.ciphers import BlindIndex, FieldCipher, Keyring
from storage.ledger.repository import AccountDirectory


@dataclass
class Store:
    engine: Engine
    cipher: FieldCipher
    blind_index: BlindIndex
    clock: Clock = field(default_factory=SystemClock)
    directory: AccountDirectory = field(default_factory=AccountDirectory)

    @classmethod
    def open(cls, url: str, keyring: Keyring, blind_index: BlindIndex, clock: Clock | None = None) -> Store:
        return cls(make_engine(url), FieldCipher(keyring), blind_index, clock or SystemClock())

    def uow(self) -> SqlUnitOfWork:
        """A new unit of work for one use case (writes take the write lock on SQLite)."""
        return SqlUnitOfWork(self.engine, self.cipher, self.blind_index, self.clock, self.directory)

    def reader(self) -> SqlUnitOfWork:
        """A unit of work for read-only use (no write lock on SQLite)."""
        return SqlUnitOfWork(
            read_only(self.engine), self.cipher, self.blind_index, self.clock, self.directory
        )

    def ping(self) -> bool:
        try:
            with read_only(self.engine).connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    def close(self) -> None:
        self.engine.dispose()
