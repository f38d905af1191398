"""`plaudit db`: schema migrations."""

from __future__ import annotations

from plaudit.assembly import build_store
from plaudit.settings import Settings
from storage.schema import migrate


def register(sub) -> None:
    parser = sub.add_parser("db", help="database schema migrations")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("upgrade", help="upgrade the schema to the newest version").set_defaults(
        handler=upgrade
    )
    actions.add_parser("status", help="say whether the schema is current").set_defaults(handler=status)


def upgrade(args) -> int:
    store = build_store(Settings.from_env())
    migrate.upgrade(store.engine)
    print("database schema is up to date")
    return 0


def status(args) -> int:
    store = build_store(Settings.from_env())
    pending = migrate.pending_revisions(store.engine)
    if pending:
        print(f"schema is behind: pending {', '.join(sorted(pending))}; run `plaudit db upgrade`")
        return 1
    print("schema is current")
    return 0
