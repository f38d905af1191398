"""The `plaudit` command line."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from api.config import ApiConfigError
from bot.config import BotConfigError
from plaudit import database_location
from plaudit.commands import (
    clients,
    db,
    employees,
    keys,
    ledger,
    milestones,
    outbox,
    scheduler,
    scim,
    serve,
    try_slack,
)
from plaudit.keyring_source import load_keys
from plaudit.observability import logs
from plaudit.settings import Settings, SettingsError
from scheduler.config import SchedulerConfigError
from storage.encryption.ciphers import KeyringError

COMMANDS = [serve, db, keys, ledger, clients, scim, employees, scheduler, milestones, outbox, try_slack]
SERVERS = {"serve", "scheduler"}
# The commands that may create a database (and a development keyring), or need none; every
# other command refuses to run against a SQLite file that does not exist.
CREATES_OR_NEEDS_NO_DATABASE = {("serve", None), ("db", "upgrade"), ("try", None), ("keys", "generate")}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plaudit", description="Plaudit: employee recognition and rewards for Slack."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _configure_logging(args.command)
    try:
        if (args.command, getattr(args, "action", None)) not in CREATES_OR_NEEDS_NO_DATABASE:
            settings = Settings.from_env()
            if settings.encryption_keys or settings.blind_index_key:
                load_keys(settings, create_dev=False)  # a key error is the first thing to fix
            database_location.require_existing(settings, explicit=bool(os.environ.get("DATABASE_URL")))
        return int(args.handler(args) or 0)
    except (SettingsError, KeyringError, ApiConfigError, BotConfigError, SchedulerConfigError) as exc:
        print(f"plaudit: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _configure_logging(command: str) -> None:
    """Servers log JSON lines (or text on a terminal, or as PLAUDIT_LOG_FORMAT says)."""
    wanted = os.environ.get("PLAUDIT_LOG_FORMAT") or ("text" if sys.stderr.isatty() else "json")
    level = os.environ.get("PLAUDIT_LOG_LEVEL", "INFO").upper()
    logs.configure(level, fmt="json" if command in SERVERS and wanted == "json" else "text")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # each migration step is noise
    if os.environ.get("PLAUDIT_LOG_SQL", "").lower() in {"1", "true", "yes"}:
        # Every statement, SQLAlchemy's and those run straight on the driver, at INFO.
        logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
