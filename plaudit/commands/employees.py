"""`plaudit employees import FILE.csv`: create or update employees from a CSV file."""

from __future__ import annotations

import csv

from pydantic import ValidationError

from api.employee_sync import Invalid, invalid, sync_batch
from api.schemas_employees import BulkEmployee
from plaudit.assembly import build_store
from plaudit.settings import Settings
from rewards.services.allowance import AllowanceTerms
from storage.reads import listings
from storage.store import Store

BOOLEAN = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def register(sub) -> None:
    parser = sub.add_parser("employees", help="employees from HR")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    imp = actions.add_parser("import", help="create or update employees from a CSV file")
    imp.add_argument(
        "file",
        help="CSV with a header row; external_id is required, "
        "other columns as in PUT /api/v1/employees/{external_id}",
    )
    imp.add_argument("--dry-run", action="store_true", help="check every row, change nothing")
    imp.set_defaults(handler=import_csv)


def parse_row(row: dict[str, str]) -> BulkEmployee:
    """A CSV row as API fields: empty cells are left out, booleans read as true/false."""
    values: dict[str, object] = {}
    for name, raw in row.items():
        if name is None or raw is None or raw.strip() == "":
            continue
        value = raw.strip()
        values[name.strip()] = BOOLEAN.get(value.lower(), value) if name.strip() == "is_guest" else value
    return BulkEmployee.model_validate(values)


def import_csv(args) -> int:
    settings = Settings.from_env()
    store = build_store(settings)
    terms = AllowanceTerms(settings.allowance, settings.timezone)
    counts = {"created": 0, "updated": 0, "would create": 0, "would update": 0, "error": 0}
    with open(args.file, newline="", encoding="utf-8-sig") as handle:
        items = [_parsed(row) for row in csv.DictReader(handle)]
    outcomes = _dry_run(store, items) if args.dry_run else _apply(store, terms, items)
    for line, (outcome, detail) in enumerate(outcomes, start=2):
        counts[outcome] += 1
        print(f"line {line}: {outcome}{': ' + detail if detail else ''}")
    print(", ".join(f"{n} {k}" for k, n in counts.items() if n) or "no rows")
    return 1 if counts["error"] else 0


def _parsed(row: dict[str, str]) -> BulkEmployee | Invalid:
    try:
        return parse_row(row)
    except ValidationError as exc:
        return invalid(exc, row)


def _dry_run(store: Store, items: list[BulkEmployee | Invalid]) -> list[tuple[str, str]]:
    valid = [item.external_id for item in items if not isinstance(item, Invalid)]
    known = listings.ids_for_external(store, valid)
    return [
        _invalid(item)
        if isinstance(item, Invalid)
        else ("would update" if item.external_id in known else "would create", item.external_id)
        for item in items
    ]


def _apply(store: Store, terms: AllowanceTerms, items: list[BulkEmployee | Invalid]) -> list[tuple[str, str]]:
    # A manager on a later line is written before the people it manages (as in the bulk API).
    results: list[tuple[str, str]] = []
    for item, outcome in zip(items, sync_batch(store, items, terms), strict=True):
        if isinstance(item, Invalid):
            results.append(_invalid(item))
        elif outcome.result == "error":
            results.append(("error", f"{item.external_id}: {outcome.code}"))
        else:
            results.append((outcome.result, item.external_id))
    return results


def _invalid(item: Invalid) -> tuple[str, str]:
    return "error", f"invalid {', '.join(item.fields)}"
