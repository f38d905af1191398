"""Kept worlds of bench/history.py: where each lives, its JSON sidecar, creating and dropping them.

A world named NAME of SIZE recognitions is the SQLite file /tmp/plaudit-bench-worlds/NAME-SIZE.db
or the PostgreSQL database plaudit_bench_NAME_SIZE (on the server of PLAUDIT_TEST_POSTGRES_URL);
/tmp/plaudit-bench-worlds/NAME.json records, for each, what the timing needs to run on it again:
the keys its rows are encrypted with, the clock, the time zone and values, the active person.
The URL recorded never holds a password: a reuse takes the server from the environment again.
"""

from __future__ import annotations

import fcntl
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from bench.common import postgres_base_url
from storage.database.engine import normalise_url

WORLDS = Path("/tmp/plaudit-bench-worlds")
NAME = re.compile(r"[a-z0-9_]{1,30}")


def check_name(name: str) -> str:
    """The name, or a clear error (it becomes part of a database name)."""
    if not NAME.fullmatch(name):
        raise SystemExit(f"world name {name!r}: use 1-30 lowercase letters, digits or _")
    return name


def sidecar(name: str) -> Path:
    return WORLDS / f"{name}.json"


def sqlite_file(name: str, size: int) -> Path:
    return WORLDS / f"{name}-{size}.db"


def pg_database(name: str, size: int) -> str:
    return f"plaudit_bench_{name}_{size}"


def where(backend: str, name: str, size: int) -> str:
    """Where the world lives, for people: a path or a database name."""
    if backend == "sqlite":
        return str(sqlite_file(name, size))
    return f"PostgreSQL database {pg_database(name, size)}"


def url_of(backend: str, name: str, size: int) -> str:
    """The world's URL (PostgreSQL: on the server of the environment's URL, with its password)."""
    if backend == "sqlite":
        return f"sqlite:///{sqlite_file(name, size)}"
    return _server().set(database=pg_database(name, size)).render_as_string(hide_password=False)


def exists(backend: str, name: str, size: int) -> bool:
    if backend == "sqlite":
        return sqlite_file(name, size).exists()
    with _admin() as conn:
        found = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": pg_database(name, size)}
        ).first()
    return found is not None


def create(backend: str, name: str, size: int) -> str:
    """An empty database for a world to keep (not migrated); refuses one that is there already."""
    if exists(backend, name, size):
        raise SystemExit(f"{where(backend, name, size)} is there already: drop it first (--drop {name})")
    if backend == "sqlite":
        WORLDS.mkdir(parents=True, exist_ok=True)
    else:
        with _admin() as conn:
            conn.execute(text(f'CREATE DATABASE "{pg_database(name, size)}"'))
    return url_of(backend, name, size)


def entries(name: str) -> dict[str, dict]:
    """Each recorded world of the sidecar by "backend:size" (empty when there is no sidecar)."""
    path = sidecar(name)
    if not path.exists():
        return {}
    return json.loads(path.read_text())["worlds"]


def record(name: str, backend: str, size: int, fields: dict[str, object]) -> None:
    """Merge these fields into the world's entry of the sidecar (locked: two runs may share a name)."""
    WORLDS.mkdir(parents=True, exist_ok=True)
    path = sidecar(name)
    with open(WORLDS / f".{name}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data: dict = json.loads(path.read_text()) if path.exists() else {"name": name, "worlds": {}}
        data["worlds"].setdefault(f"{backend}:{size}", {"backend": backend, "size": size}).update(fields)
        scratch = path.with_suffix(".json.part")
        scratch.touch(mode=0o600)  # it holds the keys the world's rows are encrypted with
        scratch.write_text(json.dumps(data, indent=2) + "\n")
        scratch.replace(path)


def drop(name: str, say) -> None:
    """Remove every world of this name: its SQLite files, its PostgreSQL databases, the sidecar."""
    pattern = re.compile(rf"{re.escape(name)}-\d+\.db(-[a-z]+)?")
    for path in sorted(WORLDS.glob(f"{name}-*.db*")):
        if pattern.fullmatch(path.name):
            path.unlink()
            say(f"removed {path}")
    if postgres_base_url():
        with _admin() as conn:
            names = conn.execute(
                text("SELECT datname FROM pg_database WHERE datname ~ :pattern ORDER BY datname"),
                {"pattern": f"^plaudit_bench_{name}_[0-9]+$"},
            ).scalars()
            for database in list(names):
                conn.execute(text(f'DROP DATABASE "{database}" WITH (FORCE)'))
                say(f"dropped PostgreSQL database {database}")
    elif any(key.startswith("postgres:") for key in entries(name)):
        say(f"PLAUDIT_TEST_POSTGRES_URL is not set: the PostgreSQL worlds and {sidecar(name)} stay")
        return
    for path in (sidecar(name), WORLDS / f".{name}.lock"):
        if path.exists():
            path.unlink()
            say(f"removed {path}")


def _server() -> URL:
    base = postgres_base_url()
    if not base:
        raise SystemExit("set PLAUDIT_TEST_POSTGRES_URL to keep or reuse PostgreSQL worlds")
    return make_url(normalise_url(base))


@contextmanager
def _admin() -> Iterator:
    engine = create_engine(_server(), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()
