"""Schema migrations: upgrade a database to the newest revision, or say whether it is current."""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version"


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to every head revision."""
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "heads")


def pending_revisions(engine: Engine) -> set[str]:
    """Head revisions the database has not reached yet (empty when current).

    Asked by every readiness probe: the heads are read from the scripts once, and the
    database's own revisions straight from its version table (no migration context, which
    would log two lines per probe)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table(VERSION_TABLE):
            return set(_heads())
        current = set(conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())
    return set(_heads()) - current


@functools.cache
def _heads() -> frozenset[str]:
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())
