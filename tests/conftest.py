"""Shared fixtures: a real database per test (SQLite always, PostgreSQL when configured)."""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from datetime import UTC, datetime

import pytest

from plaudit.assembly import bring_up_to_date
from rewards.clock import FakeClock
from storage.encryption.ciphers import BlindIndex, Keyring, generate_key
from storage.store import Store
from tests.databases import (
    BACKENDS,
    POSTGRES_NOT_SET,
    POSTGRES_URL_VAR,
    create_postgres_database,
    database_url,
    drop_postgres_database,
    new_keyring,
)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Give every "no PostgreSQL" skip one place and reason, so `-ra` prints them as one counted line."""
    report = yield
    longrepr = report.longrepr
    if report.skipped and isinstance(longrepr, tuple) and longrepr[2].endswith(POSTGRES_NOT_SET):
        report.longrepr = (__file__, None, f"PostgreSQL tests, because {POSTGRES_NOT_SET}")
    return report


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    """A fresh database for this test session on the server PLAUDIT_TEST_POSTGRES_URL names."""
    base = os.environ.get(POSTGRES_URL_VAR)
    if not base:
        yield None
        return
    name, test_url = create_postgres_database(base)
    yield test_url
    drop_postgres_database(base, name)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 10, 0, tzinfo=UTC))


@pytest.fixture
def keyring() -> Keyring:
    return new_keyring("k1")


@pytest.fixture
def blind_index() -> BlindIndex:
    return BlindIndex.from_text(generate_key())


@pytest.fixture
def db_url(backend, tmp_path, postgres_url) -> str:
    return database_url(backend, tmp_path, postgres_url)


@pytest.fixture
def store(db_url, keyring, blind_index, clock) -> Iterator[Store]:
    store = Store.open(db_url, keyring, blind_index, clock)
    bring_up_to_date(store, "UTC")  # as a server starts: schema, then tallies (none yet)
    yield store
    store.close()


@pytest.fixture
def sqlite_store(tmp_path, keyring, blind_index, clock) -> Iterator[Store]:
    store = Store.open(f"sqlite:///{tmp_path / 'plaudit.db'}", keyring, blind_index, clock)
    bring_up_to_date(store, "UTC")  # as a server starts: schema, then tallies (none yet)
    yield store
    store.close()
