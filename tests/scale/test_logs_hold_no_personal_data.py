"""The logs of a whole run — employees synced, kudos, a gift card redeemed, approved and fulfilled
with its code, milestones awarded and delivered — contain none of the personal data put in."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from storage.schema.core import TransactionRow
from tests.scale.checks import outbox_by_status
from tests.scale.cluster import api, wait_for
from tests.scale.load import catalog_item, kudos_sender
from tests.scale.test_scale_out import SETTINGS, years_before_recent

CODE = "GC-7QX2-PLUM-9K4D"
PEOPLE = [
    {
        "external_id": "E-71",
        "slack_user_id": "U0PERSON71",
        "email": "Zephyrine.Quill@Example.ORG",
        "display_name": "Zephyrine Quillfeather",
        "phone": "+351 912 345 678",
        "postal_address": "Rua das Amendoeiras 42, 4000-123 Porto",
        "birth_years": 31,
        "hire_years": 4,
    },
    {
        "external_id": "E-72",
        "slack_user_id": "U0PERSON72",
        "email": "orlando.brightwater@example.net",
        "display_name": "Orlando Brightwater",
        "phone": "(415) 555-0199",
        "postal_address": "1200 Juniper Hollow Lane, Springfield",
        "birth_years": 45,
        "hire_years": 1,
    },
]


def date_forms(iso: str) -> list[str]:
    """The ways a date tends to leak: ISO, repr, European and US notation."""
    d = date.fromisoformat(iso)
    return [
        iso,
        repr(d),
        f"{d.day:02d}/{d.month:02d}/{d.year}",
        f"{d.month:02d}/{d.day:02d}/{d.year}",
        d.strftime("%d %B %Y"),
        d.strftime("%B %d, %Y"),
    ]


def seeded_values(person: dict) -> list[str]:
    values = [
        person["email"],
        person["email"].lower(),
        person["display_name"],
        person["phone"],
        person["postal_address"],
        *person["display_name"].split(),
    ]
    return values + date_forms(person["birth_date"]) + date_forms(person["hire_date"])


def seed(port: int, token: str, fake) -> None:
    for person in PEOPLE:
        person["birth_date"] = years_before_recent(person["birth_years"])
        person["hire_date"] = years_before_recent(person["hire_years"])
        fake.add_user(person["slack_user_id"], name=person["display_name"], email=person["email"])
        fields = {
            k: person[k]
            for k in (
                "slack_user_id",
                "email",
                "display_name",
                "phone",
                "postal_address",
                "birth_date",
                "hire_date",
            )
        }
        status, body = api(port, "PUT", f"/api/v1/employees/{person['external_id']}", token, fields)
        assert status == 201, body


def redeem_with_code(port: int, token: str) -> None:
    item = catalog_item(port, token, cost=20, approval=True)
    status, body = api(
        port,
        "POST",
        "/api/v1/awards",
        token,
        {"employee_ids": ["E-71"], "points": 50, "reason": "launch"},
        "award-1",
    )
    assert status == 201, body
    status, body = api(
        port, "POST", "/api/v1/redemptions", token, {"employee_id": "E-71", "item_id": item}, "redeem-1"
    )
    assert status == 201 and body["state"] == "requested", body
    path = f"/api/v1/redemptions/{body['id']}"
    status, body = api(port, "POST", f"{path}/approve", token, {}, "approve-1")
    assert status == 200, body
    status, body = api(port, "POST", f"{path}/fulfill", token, {"fulfilment": CODE}, "fulfil-1")
    assert status == 200 and body["state"] == "fulfilled", body


def count(engine, kind: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            select(func.count()).select_from(TransactionRow).where(TransactionRow.kind == kind)
        ).scalar()


def secrets(cluster, token: str) -> list[str]:
    env = cluster.env
    return [
        CODE,
        token,
        env["PLAUDIT_ENCRYPTION_KEYS"].split(":", 1)[1],
        env["PLAUDIT_BLIND_INDEX_KEY"],
        env["SLACK_SIGNING_SECRET"],
        env["SLACK_BOT_TOKEN"],
    ]


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_logs_of_a_full_run_hold_no_personal_data_or_codes(cluster_factory, fake, engine, level):
    cluster = cluster_factory(**SETTINGS, PLAUDIT_CELEBRATION_CHANNEL="C0CELEBRATE", PLAUDIT_LOG_LEVEL=level)
    servers = [cluster.server("app-a"), cluster.server("app-b")]
    cluster.wait_ready(servers)
    client_id, token = cluster.api_client(servers[0].port)
    seed(servers[0].port, token, fake)
    cluster.scheduler("scheduler")
    redeem_with_code(servers[1].port, token)
    assert wait_for(lambda: count(engine, "milestone") >= 2 * len(PEOPLE), 20, step=0.5)
    assert wait_for(lambda: count(engine, "allowance.grant") >= len(PEOPLE), 20, step=0.5)
    for n, port in enumerate(s.port for s in servers):
        send = kudos_sender(
            "T0PLAUDIT",
            PEOPLE[n]["slack_user_id"],
            f"<@{PEOPLE[1 - n]['slack_user_id']}> 5 for the launch",
            f"trig-{n}",
        )
        assert send(port)[1]["response_type"] == "in_channel"
    assert wait_for(lambda: set(outbox_by_status(engine)) == {"delivered"}, 20, step=0.5)
    cluster.stop_all()

    assert any(CODE in json.dumps(c.args) for c in fake.calls_to("chat.postMessage"))
    logs = {p.name: p.log.read_text() for p in cluster.processes}
    lines = [line for text in logs.values() for line in text.splitlines() if line.strip()]
    assert all(logs.values()) and lines
    assert [line for line in lines if not _json_object(line)] == []
    wanted = [v for person in PEOPLE for v in seeded_values(person)] + secrets(cluster, token)
    everything = "\n".join(logs.values()).lower()
    assert [v for v in wanted if v.lower() in everything] == []


def _json_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False
