"""`plaudit milestones list|add|update`: the milestone rules the scheduler awards by."""

from __future__ import annotations

import argparse
import sys

from plaudit.assembly import build_store
from plaudit.settings import Settings
from rewards import errors
from rewards.milestones import MilestoneKind, MilestoneRule
from rewards.services.milestone_rules import add_rule, list_rules, update_rule
from storage.scheduling.unit_of_work import scheduler_uow
from storage.store import Store


def register(sub) -> None:
    parser = sub.add_parser("milestones", help="milestone rules: anniversaries, birthdays, badges")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("list", help="show every rule").set_defaults(handler=list_command)
    add = actions.add_parser("add", help="add a rule")
    add.add_argument("--code", required=True)
    add.add_argument("--kind", required=True, choices=[k.value for k in MilestoneKind])
    add.add_argument("--name", required=True)
    add.add_argument("--points", type=int, required=True)
    _options(add)
    add.set_defaults(handler=add_command)
    upd = actions.add_parser("update", help="change a rule")
    upd.add_argument("id", type=int)
    upd.add_argument("--name")
    upd.add_argument("--points", type=int)
    upd.add_argument("--active", action=argparse.BooleanOptionalAction, default=None)
    _options(upd)
    upd.set_defaults(handler=update_command)


def _options(parser) -> None:
    parser.add_argument("--table", type=_table, help="points by year or threshold: 1:100,5:500")
    parser.add_argument("--thresholds", type=_ints, help="recognition counts: 10,50,100")
    parser.add_argument("--weekend-to-friday", action=argparse.BooleanOptionalAction, default=None)
    parser.add_argument("--offset-days", type=int)


def _table(text: str) -> dict[int, int]:
    try:
        return {int(k): int(v) for k, v in (part.split(":") for part in text.split(",") if part)}
    except ValueError:
        raise argparse.ArgumentTypeError("write the table as YEARS:POINTS,YEARS:POINTS") from None


def _ints(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(",") if part)
    except ValueError:
        raise argparse.ArgumentTypeError("write whole numbers separated by commas") from None


def _changes(args) -> dict:
    names = {
        "name": "name",
        "points": "points",
        "table": "points_table",
        "active": "active",
        "thresholds": "thresholds",
        "weekend_to_friday": "weekend_to_friday",
        "offset_days": "offset_days",
    }
    return {field: getattr(args, arg) for arg, field in names.items() if getattr(args, arg, None) is not None}


def _print(rule: MilestoneRule) -> None:
    table = ",".join(f"{k}:{v}" for k, v in sorted(rule.points_table.items())) or "-"
    extra = f" thresholds={','.join(map(str, rule.thresholds))}" if rule.thresholds else ""
    print(
        f"{rule.id:>3} {rule.code:<22} {rule.kind.value:<18} points={rule.points:<5}"
        f" table={table} weekend_to_friday={'yes' if rule.weekend_to_friday else 'no'}"
        f" offset_days={rule.offset_days} {'active' if rule.active else 'inactive'}{extra}"
    )


def _store() -> Store:
    return build_store(Settings.from_env())


def list_command(args) -> int:
    store = _store()
    for rule in list_rules(scheduler_uow(store), store.clock):
        _print(rule)
    return 0


def add_command(args) -> int:
    store = _store()
    fields = _changes(args)
    rule = MilestoneRule(id=0, code=args.code, kind=MilestoneKind(args.kind), **fields)
    return _run(lambda: add_rule(scheduler_uow(store), rule, store.clock))


def update_command(args) -> int:
    store = _store()
    return _run(lambda: update_rule(scheduler_uow(store), args.id, _changes(args), store.clock))


def _run(action) -> int:
    try:
        _print(action())
    except errors.DomainError as exc:
        print(f"plaudit: {exc.message}", file=sys.stderr)
        return 1
    return 0
