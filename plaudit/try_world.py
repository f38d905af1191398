"""The little world of `plaudit try`: four colleagues, a catalog, and a text screen for Slack."""

from __future__ import annotations

import json
import re

from sqlalchemy import Engine, inspect, text

from bot.simulator.fake_slack import Call, FakeSlack
from bot.simulator.signed_requests import Reply, give_form_values
from bot.simulator.text_view import Button, blocks_text, plain
from plaudit.settings import Settings
from rewards.model import CatalogItem
from rewards.periods import local_date, period_key
from rewards.services.allowance import grant_allowance
from rewards.services.awards import IssueAward, issue_award
from rewards.services.catalog import add_item
from rewards.services.employees import upsert_employee
from storage.store import Store

PEOPLE = ("ana", "ben", "cy", "dee")
NAMES = {f"U{name.upper()}": name for name in PEOPLE}
CATALOG = [("Coffee with the CEO", 40, False), ("Plaudit mug", 80, False), ("Extra day off", 400, True)]


def slack_id(name: str) -> str:
    if name not in PEOPLE:
        raise ValueError(f"{name!r} is not one of {', '.join(PEOPLE)}")
    return f"U{name.upper()}"


def populate(store: Store, fake: FakeSlack, settings: Settings) -> None:
    """People in Slack and in HR (ben manages ana and cy), allowances, some points, a catalog."""
    populate_slack(fake)
    ids: dict[str, str] = {}
    for name in ("ben", "ana", "cy", "dee"):
        manager = ids.get("ben") if name in ("ana", "cy") else None
        employee, _ = upsert_employee(
            store.uow(),
            f"try-{name}",
            {
                "slack_user_id": slack_id(name),
                "email": f"{name}@example.com",
                "display_name": name.title(),
                "manager_id": manager,
            },
            store.clock,
        )
        ids[name] = employee.id
        period = period_key(local_date(store.clock.now(), settings.timezone), settings.allowance.period)
        grant_allowance(store.uow(), employee.id, settings.allowance.points_per_period, period, store.clock)
        issue_award(
            store.uow(),
            IssueAward([employee.id], 500, "welcome points", f"try-welcome-{name}", notify=False),
            store.clock,
        )
    for name, cost, approval in CATALOG:
        add_item(
            store.uow(),
            CatalogItem(id=0, name=name, points_cost=cost, requires_approval=approval),
            store.clock,
        )


def populate_slack(fake: FakeSlack) -> None:
    """The four colleagues and their user group, in the fake Slack."""
    fake.add_usergroup("STEAM", list(NAMES))
    for name in PEOPLE:
        fake.add_user(slack_id(name), name=name.title(), email=f"{name}@example.com")


def escape_mentions(text: str) -> str:
    """What Slack does to typed @names before sending the command: <@U…|name>."""
    text = re.sub(r"(?<!\S)@team\b", "<!subteam^STEAM|@team>", text)
    return re.sub(
        r"(?<!\S)@(\w+)",
        lambda m: f"<@{slack_id(m.group(1))}|{m.group(1)}>" if m.group(1) in PEOPLE else m.group(0),
        text,
    )


def form_values(callback_id: str, fields: dict[str, str]) -> dict:
    """state.values for a form, from `submit k=v` fields."""
    if callback_id == "give_kudos":
        users = [slack_id(n.strip().lstrip("@")) for n in fields.get("to", "").split(",") if n.strip()]
        return give_form_values(
            users,
            fields.get("points", ""),
            fields.get("reason", ""),
            fields.get("value") or None,
            fields.get("visibility", "public"),
        )
    if callback_id == "reject_reason":
        return {"reason": {"reason": {"value": fields.get("reason", "")}}}
    return {}


class Screen:
    """Turns replies and Web API calls into lines a person reads, numbering buttons."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names
        self.buttons: list[Button] = []
        self.modal: dict | None = None

    def reply(self, reply: Reply, user: str) -> list[str]:
        if reply.status != 200:
            return [f"(Slack got HTTP {reply.status})"]
        body = reply.json() if reply.body.startswith("{") else None
        if not body:
            return []
        if body.get("response_action") == "errors":
            return [f"  form error in {field}: {msg}" for field, msg in body["errors"].items()]
        if body.get("response_action") == "update":
            return self._view("Form", body["view"])
        where = "#general" if body.get("response_type") == "in_channel" else "(only you see this)"
        return [f"{where}:", *self._message(body.get("text", ""), body.get("blocks"))]

    def call(self, call: Call) -> list[str]:
        args, method = call.args, call.method
        if method == "chat.postMessage":
            ts = (call.reply or {}).get("ts")
            return [
                f"{self._where(args['channel'])}:",
                *self._message(args.get("text", ""), args.get("blocks"), args["channel"], ts),
            ]
        if method == "chat.postEphemeral":
            return [
                f"(only @{self.names.get(args['user'], args['user'])} sees this):",
                *self._message(args.get("text", ""), None),
            ]
        if method == "response_url":  # a read that outlasted the ack, answered late
            where = "#general" if args.get("response_type") == "in_channel" else "(only you see this)"
            return [f"{where}:", *self._message(args.get("text", ""), args.get("blocks"))]
        if method == "chat.update":
            return ["(a message was updated):", *self._message(args.get("text", ""), None)]
        if method == "views.open":
            view = args["view"] if isinstance(args["view"], dict) else json.loads(args["view"])
            self.modal = {**view, "id": (call.reply or {}).get("view", {}).get("id", "VTRY")}
            return self._view("Form opened", view)
        if method == "views.publish":
            view = args["view"] if isinstance(args["view"], dict) else json.loads(args["view"])
            return self._view(f"App Home of @{self.names.get(args['user_id'])}", view)
        return []

    def _where(self, channel: str) -> str:
        return f"DM to @{self.names[channel]}" if channel in self.names else f"#{channel}"

    def _message(self, text: str, blocks, channel=None, ts=None) -> list[str]:
        if blocks:
            return ["  " + line for line in blocks_text(blocks, self.names, self.buttons, channel, ts)]
        return ["  " + line for line in plain(text, self.names).splitlines()]

    def _view(self, heading: str, view: dict) -> list[str]:
        title = (view.get("title") or {}).get("text", "")
        lines = blocks_text(view.get("blocks", []), self.names, self.buttons, view_id="VHOME")
        hint = (
            ["  → submit k=v … (fields: to, points, value, reason, visibility)"]
            if view.get("callback_id") == "give_kudos"
            else ["  → submit" + (' reason="…"' if view.get("callback_id") == "reject_reason" else "")]
            if view.get("submit")
            else []
        )
        return [f"{heading}: {title}".rstrip(": "), *["  " + line for line in lines], *hint]


MARKER_TABLE = "plaudit_try_world"


class NotATryWorld(ValueError):
    """The database given to `plaudit try --database` holds something else."""


def claim_database(engine: Engine) -> tuple[str, str] | None:
    """The try world's keys if this database is a try world already; None if it is empty (then
    it is marked as one). Any other database is refused untouched."""
    tables = set(inspect(engine).get_table_names())
    if MARKER_TABLE in tables:
        with engine.connect() as connection:
            row = connection.execute(
                text(f"SELECT encryption_keys, blind_index_key FROM {MARKER_TABLE}")
            ).first()
        if row is None:
            raise NotATryWorld("its try-world marker is empty")
        return str(row[0]), str(row[1])
    if tables:
        raise NotATryWorld(
            f"it already has {len(tables)} tables and is not a `plaudit try` world;"
            " `plaudit try` only uses a new, empty database or one it made before"
        )
    return None


def mark_database(engine: Engine, encryption_keys: str, blind_index_key: str) -> None:
    """Mark a new database as a try world, keeping its throwaway keys to open it again."""
    with engine.begin() as connection:
        connection.execute(
            text(
                f"CREATE TABLE {MARKER_TABLE} (encryption_keys TEXT NOT NULL, blind_index_key TEXT NOT NULL)"
            )
        )
        connection.execute(
            text(f"INSERT INTO {MARKER_TABLE} VALUES (:keys, :blind)"),
            {"keys": encryption_keys, "blind": blind_index_key},
        )
