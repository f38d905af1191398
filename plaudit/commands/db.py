"""`plaudit db`: schema migrations (and the recognition tallies' build after them)."""

from __future__ import annotations

from plaudit.assembly import bring_up_to_date, build_store
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
    settings = Settings.from_env()
    store = build_store(settings)
    bring_up_to_date(store, settings.timezone, progress=lambda line: print(line, flush=True))
    print("database schema and recognition tallies are up to date")
    return 0


def status(args) -> int:
    store = build_store(Settings.from_env())
    pending = migrate.pending_revisions(store.engine)
    if pending:
        print(f"schema is behind: pending {', '.join(sorted(pending))}; run `plaudit db upgrade`")
        return 1
    print("schema is current")
    return 0
