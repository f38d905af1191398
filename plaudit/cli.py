"""The `plaudit` command line."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from api.config import ApiConfigError
from bot.config import BotConfigError
from plaudit.commands import (
    clients,
    db,
    employees,
    keys,
    ledger,
    milestones,
    outbox,
    scheduler,
    serve,
    try_slack,
)
from plaudit.observability import logs
from plaudit.settings import SettingsError
from scheduler.config import SchedulerConfigError
from storage.encryption.ciphers import KeyringError

COMMANDS = [serve, db, keys, ledger, clients, employees, scheduler, milestones, outbox, try_slack]
SERVERS = {"serve", "scheduler"}


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
    if command in SERVERS and wanted == "json":
        logs.configure(level)
    else:
        logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
        logging.getLogger("alembic").setLevel(logging.WARNING)  # each migration step is noise
        logs.quiet_leaky_libraries()
    if os.environ.get("PLAUDIT_LOG_SQL", "").lower() in {"1", "true", "yes"}:
        # Every statement, SQLAlchemy's and those run straight on the driver, at INFO.
        logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
