"""Shared fixtures: a real database per test (SQLite always, PostgreSQL when configured)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from rewards.clock import FakeClock
from storage.database.engine import normalise_url
from storage.encryption.ciphers import BlindIndex, Keyring, generate_key
from storage.schema import metadata, migrate
from storage.store import Store

POSTGRES_URL_VAR = "PLAUDIT_TEST_POSTGRES_URL"
BACKENDS = ["sqlite", "postgres"]


def test_keyring(*ids: str) -> Keyring:
    return Keyring.parse(",".join(f"{i}:{generate_key()}" for i in ids or ("k1",)))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    """A fresh database for this test session on the server PLAUDIT_TEST_POSTGRES_URL names."""
    base = os.environ.get(POSTGRES_URL_VAR)
    if not base:
        yield None
        return
    url = make_url(normalise_url(base))
    name = f"plaudit_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # CI sets the variable: a missing server must fail loudly
        pytest.fail(f"{POSTGRES_URL_VAR} is set but PostgreSQL is unreachable: {exc}")
    test_url = url.set(database=name).render_as_string(hide_password=False)
    engine = create_engine(test_url)
    migrate.upgrade(engine)
    engine.dispose()
    yield test_url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def database_url(backend: str, tmp_path, postgres_url: str | None) -> str:
    """A clean, migrated database of the given kind for one test."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'plaudit.db'}"
    if postgres_url is None:
        pytest.skip(f"{POSTGRES_URL_VAR} is not set")
    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return postgres_url


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 10, 0, tzinfo=UTC))


@pytest.fixture
def keyring() -> Keyring:
    return test_keyring("k1")


@pytest.fixture
def blind_index() -> BlindIndex:
    return BlindIndex.from_text(generate_key())


@pytest.fixture
def db_url(backend, tmp_path, postgres_url) -> str:
    return database_url(backend, tmp_path, postgres_url)


@pytest.fixture
def store(db_url, keyring, blind_index, clock) -> Iterator[Store]:
    store = Store.open(db_url, keyring, blind_index, clock)
    migrate.upgrade(store.engine)
    yield store
    store.close()


@pytest.fixture
def sqlite_store(tmp_path, keyring, blind_index, clock) -> Iterator[Store]:
    store = Store.open(f"sqlite:///{tmp_path / 'plaudit.db'}", keyring, blind_index, clock)
    migrate.upgrade(store.engine)
    yield store
    store.close()
