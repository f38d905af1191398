"""The `plaudit` command line."""

from __future__ import annotations

import argparse
import logging
import sys

from plaudit.commands import clients, db, employees, keys, ledger, serve
from plaudit.settings import SettingsError
from storage.crypto import KeyringError

COMMANDS = [serve, db, keys, ledger, clients, employees]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plaudit", description="Plaudit: employee recognition and rewards for Slack.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except (SettingsError, KeyringError) as exc:
        print(f"plaudit: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
