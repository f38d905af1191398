"""HTTP idempotency records: claim a key, then store the response that a repeat gets back.

A stored response may hold a reward code or a webhook signing secret, so its body is kept
encrypted like every other personal or secret value (bound to its table, column and row).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Connection, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from rewards.errors import DecryptionError
from storage.database.engine import single_reads
from storage.database.prepared import Prepared
from storage.encryption.ciphers import FieldCipher
from storage.schema.api_access import ApiIdempotencyRow as Row
from storage.schema.core import TransactionRow

if TYPE_CHECKING:  # the store imports the repositories that import this module
    from storage.store import Store

TABLE, BODY = "api_idempotency", "response_body"
STALE_AFTER = timedelta(minutes=2)  # a claim whose request died may be taken over after this
HELD_KEY = select(TransactionRow.id).where(TransactionRow.idempotency_key == bindparam("key"))
# Looked up before every keyed award: compiled once, run on the driver.
FIND = Prepared(
    select(Row.__table__).where(Row.client_id == bindparam("client"), Row.key == bindparam("key"))
)


@dataclass(frozen=True)
class Record:
    id: int
    fingerprint: str
    pending: bool
    status: int | None = None
    body: str | None = None
    headers: dict[str, str] | None = None

    @property
    def refused(self) -> bool:
        """Whether the stored answer is a refusal (4xx)."""
        return not self.pending and self.status is not None and 400 <= self.status < 500


def claim(store: Store, client_id: str, key: str, fingerprint: str) -> tuple[bool, Record]:
    """(True, new claim) when this request runs; (False, existing record) when it was seen."""
    now = store.clock.now()
    try:
        with store.engine.begin() as conn:
            new_id = conn.execute(
                insert(Row)
                .values(
                    client_id=client_id,
                    key=key,
                    fingerprint=fingerprint,
                    status="pending",
                    created_at=now,
                    updated_at=now,
                )
                .returning(Row.id)
            ).scalar_one()
        return True, Record(new_id, fingerprint, True)
    except IntegrityError:
        pass
    with store.engine.begin() as conn:
        row = conn.execute(select(Row).where(Row.client_id == client_id, Row.key == key)).one()
        if row.status == "pending" and row.fingerprint == fingerprint and row.updated_at < now - STALE_AFTER:
            taken = conn.execute(
                update(Row).where(Row.id == row.id, Row.updated_at == row.updated_at).values(updated_at=now)
            ).rowcount
            if taken:
                return True, Record(row.id, fingerprint, True)
    return False, _record(store, row)


def find(store: Store, client_id: str, key: str) -> Record | None:
    with single_reads(store.engine).connect() as conn:
        rows = FIND.records(conn, {"client": client_id, "key": key})
    return _record(store, rows[0]) if rows else None


def ledger_holds(store: Store, domain_key: str) -> bool:
    """Whether a ledger transaction carries this idempotency key (a success was committed)."""
    with single_reads(store.engine).connect() as conn:
        return conn.execute(HELD_KEY, {"key": domain_key}).first() is not None


def _record(store: Store, row) -> Record:
    body = None if row.response_body is None else store.cipher.decrypt(row.response_body, TABLE, BODY, row.id)
    return Record(
        row.id,
        row.fingerprint,
        row.status == "pending",
        row.response_status,
        body,
        json.loads(row.response_headers or "{}"),
    )


def _sealed(store: Store, record_id: int, body: str) -> str:
    return store.cipher.encrypt(body, TABLE, BODY, record_id)


def record(
    store: Store, client_id: str, key: str, fingerprint: str, status: int, body: str, headers: dict[str, str]
) -> bool:
    """Store a finished response (True); if a concurrent twin stored one first, theirs stays (False)."""
    now = store.clock.now()
    try:
        with store.engine.begin() as conn:
            new_id = conn.execute(
                insert(Row)
                .values(
                    client_id=client_id,
                    key=key,
                    fingerprint=fingerprint,
                    status="done",
                    response_status=status,
                    response_headers=json.dumps(headers),
                    created_at=now,
                    updated_at=now,
                )
                .returning(Row.id)
            ).scalar_one()
            # The ciphertext is bound to the row's id, known only once the row exists.
            conn.execute(
                update(Row).where(Row.id == new_id).values(response_body=_sealed(store, new_id, body))
            )
    except IntegrityError:
        return False
    return True


def complete(store: Store, record_id: int, status: int, body: str, headers: dict[str, str]) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            update(Row)
            .where(Row.id == record_id)
            .values(
                status="done",
                response_status=status,
                response_body=_sealed(store, record_id, body),
                response_headers=json.dumps(headers),
                updated_at=store.clock.now(),
            )
        )


def release(store: Store, record_id: int) -> None:
    """Forget a claim whose request failed on our side, so a retry runs again."""
    with store.engine.begin() as conn:
        conn.execute(delete(Row).where(Row.id == record_id))


def purge(store: Store, older_than: timedelta) -> int:
    with store.engine.begin() as conn:
        return conn.execute(delete(Row).where(Row.created_at < store.clock.now() - older_than)).rowcount


def forget_mentioning(conn: Connection, cipher: FieldCipher, texts: list[str]) -> int:
    """Delete the stored responses whose body holds any of `texts` (an erasure): a repeat of
    their request then runs again instead of replaying the erased person's data."""
    if not texts:
        return 0
    found = conn.execute(select(Row.id, Row.response_body).where(Row.response_body.is_not(None)))
    doomed = [rid for rid, sealed in found if sealed and _mentions(cipher, rid, sealed, texts)]
    for start in range(0, len(doomed), 500):
        conn.execute(delete(Row).where(Row.id.in_(doomed[start : start + 500])))
    return len(doomed)


def _mentions(cipher: FieldCipher, record_id: int, sealed: str, texts: list[str]) -> bool:
    try:
        body = cipher.decrypt(sealed, TABLE, BODY, record_id)
    except DecryptionError:
        return False  # under a key no longer held: nobody can read or replay it
    return any(text in body for text in texts)
