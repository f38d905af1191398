"""Where the database is, and refusing to make a new one by accident from the wrong folder."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from plaudit.settings import Settings, SettingsError


def sqlite_file(database_url: str) -> Path | None:
    """The file of a SQLite database URL; None for PostgreSQL and in-memory SQLite."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    if url.database.startswith("file:"):
        return None  # a URI filename: SQLite's own options decide
    return Path(url.database)


def require_existing(settings: Settings, *, explicit: bool) -> None:
    """Refuse to go on when the SQLite database this command would open does not exist.

    `explicit`: whether DATABASE_URL was set (otherwise Plaudit looks in the current folder).
    """
    path = sqlite_file(settings.database_url)
    if path is None or path.exists():
        return
    where = (
        f"DATABASE_URL points at {path.absolute()}"
        if explicit
        else f"DATABASE_URL is not set, so Plaudit looks for plaudit.db in this folder ({Path.cwd()})"
    )
    raise SettingsError(
        f"no Plaudit database found: {where}, and there is none.\n"
        "Run this from the folder where you run `plaudit serve`, or point at the database with"
        " DATABASE_URL=sqlite:////absolute/path/to/plaudit.db (or a postgresql:// URL).\n"
        "To start a new database here on purpose, run `plaudit db upgrade` (or `plaudit serve`)."
    )
