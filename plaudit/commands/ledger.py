"""`plaudit ledger verify`: prove the ledger's invariants hold."""

from __future__ import annotations

from plaudit.assembly import build_store
from plaudit.settings import Settings
from storage.ledger.verify import verify_ledger


def register(sub) -> None:
    parser = sub.add_parser("ledger", help="the points ledger")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("verify", help="check every ledger invariant; exit 1 naming violations").set_defaults(
        handler=verify
    )


def verify(args) -> int:
    store = build_store(Settings.from_env(), create_dev_keys=False)
    violations = verify_ledger(store.engine)
    for violation in violations:
        print(f"VIOLATION {violation}")
    if violations:
        print(f"ledger verify: {len(violations)} violation(s)")
        return 1
    print("ledger verify: all invariants hold")
    return 0
