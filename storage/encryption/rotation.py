"""Key rotation: re-encrypt every ciphertext under the keyring's first key, batch by batch."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, and_, func, or_, select, update

from storage.encryption.ciphers import FieldCipher
from storage.schema import metadata
from storage.schema.core import ENCRYPTED_COLUMNS


@dataclass
class RotationReport:
    rewritten: int = 0  # values re-encrypted
    skipped: int = 0  # values changed by someone else meanwhile (already under the new key)


def rotate_keys(
    engine: Engine,
    cipher: FieldCipher,
    batch_size: int = 500,
    progress: Callable[[str, int, int], None] | None = None,
) -> RotationReport:
    """Re-encrypt all values not under the primary key; resumable, safe while the app runs.

    Each batch is its own short transaction, and each value is replaced only if it is still
    the ciphertext we read (compare-and-set), so a concurrent update is never overwritten.
    """
    report = RotationReport()
    prefix = f"v1:{cipher.keyring.primary_id}:"
    for table_name, columns in ENCRYPTED_COLUMNS.items():
        table = metadata.tables[table_name]  # every area's tables, not only those imported
        stale = or_(*[and_(table.c[c].is_not(None), ~table.c[c].startswith(prefix)) for c in columns])
        with engine.connect() as conn:
            total = conn.scalar(select(func.count()).select_from(table).where(stale)) or 0
        done, last_id = 0, None
        while True:
            with engine.begin() as conn:
                query = select(table.c.id, *[table.c[c] for c in columns]).where(stale)
                if last_id is not None:
                    query = query.where(table.c.id > last_id)
                rows = conn.execute(query.order_by(table.c.id).limit(batch_size)).all()
                for row in rows:
                    _rotate_row(conn, table, columns, row, cipher, prefix, report)
            if not rows:
                break
            last_id = rows[-1][0]
            done += len(rows)
            if progress:
                progress(table_name, min(done, total), total)
    return report


def _rotate_row(conn, table, columns, row, cipher, prefix, report) -> None:
    row_id = row[0]
    for column, token in zip(columns, row[1:], strict=True):
        if token is None or token.startswith(prefix):
            continue
        plain = cipher.decrypt(token, table.name, column, row_id)
        fresh = cipher.encrypt(plain, table.name, column, row_id)
        changed = conn.execute(
            update(table).where(table.c.id == row_id, table.c[column] == token).values({column: fresh})
        ).rowcount
        if changed:
            report.rewritten += 1
        else:
            report.skipped += 1
