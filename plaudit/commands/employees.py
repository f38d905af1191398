"""`plaudit employees import FILE.csv`: create or update employees from a CSV file."""

from __future__ import annotations

import csv
from typing import Any

from pydantic import ValidationError

from api.employee_sync import sync_employee
from api.schemas_employees import BulkEmployee
from plaudit.assembly import build_store
from plaudit.settings import Settings
from rewards.errors import DomainError
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
        for line, row in enumerate(csv.DictReader(handle), start=2):
            outcome, detail = _one(store, terms, row, args.dry_run)
            counts[outcome] += 1
            print(f"line {line}: {outcome}{': ' + detail if detail else ''}")
    print(", ".join(f"{n} {k}" for k, n in counts.items() if n) or "no rows")
    return 1 if counts["error"] else 0


def _one(store: Store, terms: AllowanceTerms, row: dict[str, str], dry_run: bool) -> tuple[str, str]:
    try:
        item = parse_row(row)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors())
        return "error", f"invalid {fields}"
    if dry_run:
        known = listings.ids_for_external(store, [item.external_id])
        return ("would update" if known else "would create"), item.external_id
    values: dict[str, Any] = item.model_dump(exclude_unset=True)
    values.pop("external_id")
    try:
        _, created = sync_employee(store, item.external_id, values, terms)
    except DomainError as exc:
        return "error", f"{item.external_id}: {exc.code}"
    return ("created" if created else "updated"), item.external_id
