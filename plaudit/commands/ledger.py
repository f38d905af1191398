"""`plaudit ledger verify|rebuild-tallies`: prove the ledger's invariants and the recognition
tallies hold; rebuild the tallies from the history."""

from __future__ import annotations

import sys

from plaudit.assembly import build_store
from plaudit.settings import Settings
from storage.ledger.verify import verify_ledger
from storage.recognition.tallies import rebuild
from storage.recognition.tally_check import check_tallies

DIFFERENCES_SHOWN = 20


def register(sub) -> None:
    parser = sub.add_parser("ledger", help="the points ledger")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser(
        "verify", help="check every ledger invariant and the recognition tallies; exit 1 naming violations"
    ).set_defaults(handler=verify)
    actions.add_parser(
        "rebuild-tallies",
        help="clear the recognition tallies and count them again from the history (resumable, while serving)",
    ).set_defaults(handler=rebuild_tallies)


def verify(args) -> int:
    settings = Settings.from_env()
    store = build_store(settings, create_dev_keys=False)
    violations = verify_ledger(store.engine)
    for violation in violations:
        print(f"VIOLATION {violation}")
    tallies = check_tallies(store.engine, limit=DIFFERENCES_SHOWN)
    failed = bool(violations)
    if not tallies.built:
        print(
            "tallies: not built yet (run `plaudit db upgrade` or `plaudit ledger rebuild-tallies`);", end=""
        )
        print(" not checked")
    else:
        for difference in tallies.differences:
            print(f"VIOLATION {difference}")
        if tallies.count > len(tallies.differences):
            print(f"… and {tallies.count - len(tallies.differences)} more tally difference(s)")
        if tallies.timezone != settings.timezone:
            print(
                f"tallies: cut in {tallies.timezone}, but the organisation's zone is {settings.timezone};"
                " run `plaudit ledger rebuild-tallies`"
            )
            failed = True
        failed = failed or tallies.count > 0
    if failed:
        print(f"ledger verify: {len(violations)} violation(s), {tallies.count} tally difference(s)")
        return 1
    print("ledger verify: all invariants hold" + (" and the tallies match" if tallies.built else ""))
    return 0


def rebuild_tallies(args) -> int:
    settings = Settings.from_env()
    store = build_store(settings, create_dev_keys=False)
    try:
        rebuild(store.engine, settings.timezone, progress=lambda line: print(line, flush=True))
    except RuntimeError as exc:  # a long reader holds the tallies, or a build restarted meanwhile
        print(f"plaudit: the tallies were not rebuilt: {exc}", file=sys.stderr)
        return 1
    return 0
