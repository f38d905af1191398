"""Test databases: a clean, migrated SQLite file or PostgreSQL database per test, and test keyrings."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from storage.database.engine import normalise_url
from storage.encryption.ciphers import Keyring, generate_key
from storage.schema import metadata, migrate

POSTGRES_URL_VAR = "PLAUDIT_TEST_POSTGRES_URL"
POSTGRES_NOT_SET = f"{POSTGRES_URL_VAR} is not set"
BACKENDS = ["sqlite", "postgres"]


def new_keyring(*ids: str) -> Keyring:
    """A keyring with a fresh random key for each id (one key, "k1", when none are given)."""
    return Keyring.parse(",".join(f"{i}:{generate_key()}" for i in ids or ("k1",)))


def create_postgres_database(base: str) -> tuple[str, str]:
    """Create and migrate a uniquely named database on the server `base` names; return (name, URL)."""
    url = make_url(normalise_url(base))
    name = f"plaudit_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # CI sets the variable: a missing server must fail loudly
        pytest.fail(f"{POSTGRES_URL_VAR} is set but PostgreSQL is unreachable: {exc}")
    finally:
        admin.dispose()
    test_url = url.set(database=name).render_as_string(hide_password=False)
    engine = create_engine(test_url)
    migrate.upgrade(engine)
    engine.dispose()
    return name, test_url


def drop_postgres_database(base: str, name: str) -> None:
    """Drop a database made by create_postgres_database, even with connections still open."""
    admin = create_engine(make_url(normalise_url(base)), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def database_url(backend: str, tmp_path: Path, postgres_url: str | None) -> str:
    """A clean, migrated database of the given kind for one test."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'plaudit.db'}"
    if postgres_url is None:
        pytest.skip(POSTGRES_NOT_SET)
    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return postgres_url
