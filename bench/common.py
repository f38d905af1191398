"""Shared bench helpers: fresh databases, a store, timing and a table printer."""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from storage.database.engine import normalise_url
from storage.encryption.ciphers import BlindIndex, Keyring, generate_key
from storage.schema import migrate
from storage.store import Store


def postgres_base_url() -> str | None:
    return os.environ.get("PLAUDIT_BENCH_POSTGRES_URL") or os.environ.get("PLAUDIT_TEST_POSTGRES_URL")


@contextmanager
def fresh_database(backend: str) -> Iterator[str]:
    """A new, migrated, empty database URL, dropped afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'bench.db'}"
            _migrate(url)
            yield url
        return
    base = postgres_base_url()
    if not base:
        raise SystemExit("set PLAUDIT_TEST_POSTGRES_URL to benchmark PostgreSQL")
    parsed = make_url(normalise_url(base))
    name = f"plaudit_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(parsed, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = parsed.set(database=name).render_as_string(hide_password=False)
    try:
        _migrate(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _migrate(url: str) -> None:
    engine = create_engine(normalise_url(url))
    migrate.upgrade(engine)
    engine.dispose()


def open_store(url: str) -> Store:
    return Store.open(url, Keyring.parse(f"k1:{generate_key()}"), BlindIndex.from_text(generate_key()))


def rate(count: int, work: Callable[[], None]) -> float:
    """Operations per second of `work`, which performs `count` operations."""
    started = time.perf_counter()
    work()
    return count / (time.perf_counter() - started)


def print_table(title: str, rows: list[tuple[str, str, str]]) -> None:
    print(f"\n{title}")
    width = max(len(r[0]) for r in rows) + 2
    print(f"{'measure'.ljust(width)}{'figure':>14}  baseline / note")
    for name, figure, note in rows:
        print(f"{name.ljust(width)}{figure:>14}  {note}")
