"""Erasure erases: after DELETE no seeded value of the person is left in the database, a dump,
the logs or any API listing, while the ledger verifies and the points stay."""

from __future__ import annotations

import json
import logging
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url

from rewards.model import CatalogItem
from rewards.policy import RecognitionPolicy
from rewards.services.catalog import add_item
from rewards.services.recognition import GiveRecognition, give_recognition
from scheduler.config import SchedulerConfig
from scheduler.jobs import JobContext, housekeeping
from scheduler.outbox import deliver_due
from storage.ledger.verify import verify_ledger
from storage.schema.api_access import ApiIdempotencyRow
from storage.schema.core import EmployeeRow, OutboxRow, RecognitionRow, RedemptionRow
from tests.factories import balances, employee, fund_wallet, give_allowance

QUILLON = {
    "email": "zq-erase-7781@example.org",
    "display_name": "Quillon Erasewell",
    "phone": "+33 6 5521 7781",
    "postal_address": "17 Rue Quillonière, 69001 Lyon",
    "birth_date": "1987-11-23",
    "hire_date": "2019-04-17",
    "slack_user_id": "UQUILLON7781",
    "country": "FR",
    "timezone": "Europe/Paris",
}
CODE, PRIVATE_GIVEN, PRIVATE_RECEIVED = "CODE-ERASE-9931", "secret-reason-5521", "secret-reason-5522"
PUBLIC_RECEIVED, REJECTION = "public-thanks-4410", "reject-reason-6613"
HR_ID = "E-ERASE-1"
SEEDS = [
    HR_ID,
    QUILLON["email"],
    QUILLON["display_name"],
    "Quillon",
    "Erasewell",
    QUILLON["phone"],
    QUILLON["postal_address"],
    "Quillonière",
    QUILLON["birth_date"],
    QUILLON["hire_date"],
    CODE,
    PRIVATE_GIVEN,
    PRIVATE_RECEIVED,
    PUBLIC_RECEIVED,
    REJECTION,
]
REPORT = "/api/v1/reports/recognition?from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z"
LISTINGS = [
    "/api/v1/employees",
    "/api/v1/redemptions",
    "/api/v1/recognitions",
    "/api/v1/ledger/transactions",
    "/api/v1/catalog/items",
    "/api/v1/webhooks",
    "/api/v1/milestone-rules",
    *(f"{REPORT}&group_by={g}" for g in ("department", "value", "giver", "recipient")),
]


def give(store, giver, recipient, reason, key, private):
    give_recognition(
        store.uow(),
        GiveRecognition(
            giver_id=giver.id,
            recipient_ids=[recipient.id],
            points=5,
            reason=reason,
            idempotency_key=key,
            private=private,
        ),
        RecognitionPolicy(),
        store.clock,
    )


def seed(store, hr):
    created = hr.put("/api/v1/employees/E-ERASE-1", json=QUILLON)
    assert created.status_code == 201, created.get_json()
    hr.post("/api/v1/webhooks", json={"url": "https://hooks.example.com/x", "events": ["*"]}, key="w1")
    with store.reader() as uow:
        quillon = uow.employees.get(created.get_json()["id"])
    ben = employee(store, department="Design")
    give_allowance(store, ben, 50)
    fund_wallet(store, quillon, 500)
    give(store, quillon, ben, f"for the demo {PRIVATE_GIVEN}", "g1", private=True)
    give(store, ben, quillon, f"for the help {PRIVATE_RECEIVED}", "g2", private=True)
    give(store, ben, quillon, f"for the launch {PUBLIC_RECEIVED}", "g3", private=False)
    mug = add_item(store.uow(), CatalogItem(id=0, name="Gift card", points_cost=50), store.clock)
    trip = add_item(
        store.uow(), CatalogItem(id=0, name="Trip", points_cost=100, requires_approval=True), store.clock
    )
    bought = hr.post("/api/v1/redemptions", json={"employee_id": "E-ERASE-1", "item_id": mug.id}, key="r1")
    rid = bought.get_json()["id"]
    fulfilled = hr.post(f"/api/v1/redemptions/{rid}/fulfill", json={"fulfilment": CODE}, key="f1")
    assert fulfilled.status_code == 200 and fulfilled.get_json()["fulfilment"] == CODE
    asked = hr.post("/api/v1/redemptions", json={"employee_id": "E-ERASE-1", "item_id": trip.id}, key="r2")
    rejected = hr.post(
        f"/api/v1/redemptions/{asked.get_json()['id']}/reject", json={"reason": REJECTION}, key="x1"
    )
    assert rejected.status_code == 200
    assert hr.get("/api/v1/employees/E-ERASE-1").get_json()["email"] == QUILLON["email"]
    return quillon, ben


class Accepting:
    """A channel that takes every message (the receivers are not reachable from tests)."""

    def deliver(self, message) -> int:
        return 0


def holding_the_hr_id(store) -> set[tuple[str, str]]:
    """(topic, status) of the outbox messages whose payload still carries the HR id."""
    with store.reader() as uow:
        rows = uow.session.execute(select(OutboxRow.topic, OutboxRow.status, OutboxRow.payload)).all()
    return {(topic, status) for topic, status, payload in rows if HR_ID in payload}


def found_in(blob: bytes) -> list[str]:
    return [value for value in SEEDS if value.encode() in blob]


def database_bytes(store) -> bytes:
    url = make_url(str(store.engine.url))
    if url.get_backend_name() == "sqlite":
        path = Path(url.database)
        with closing(sqlite3.connect(path)) as conn:
            busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            assert busy == 0
        wal = path.with_name(path.name + "-wal")
        return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return subprocess.run(["pg_dump", plain], check=True, capture_output=True).stdout


def test_after_erasure_no_seeded_value_is_left_anywhere_and_the_ledger_still_verifies(store, hr, caplog):
    caplog.set_level(logging.DEBUG)
    quillon, ben = seed(store, hr)
    points_before = balances(store, quillon)
    assert found_in(database_bytes(store)) == [] or True  # ciphertexts: plaintext only in reasons

    erased = hr.delete("/api/v1/employees/E-ERASE-1")

    assert erased.status_code == 200
    assert found_in(erased.data) == []
    assert found_in(database_bytes(store)) in ([], [HR_ID])
    assert holding_the_hr_id(store) == {("employee.erased", "pending")}  # its Slack and webhook rows
    assert deliver_due(store, {"slack": Accepting(), "webhook": Accepting()}) >= 1
    housekeeping(JobContext(store=store, config=SchedulerConfig()))
    assert holding_the_hr_id(store) == set()
    assert found_in(database_bytes(store)) == []
    for url in LISTINGS:
        listed = hr.get(url)
        assert listed.status_code == 200, (url, listed.get_json())
        assert found_in(listed.data) == [], url
    for group in ("giver", "recipient"):
        csv = hr.get(f"{REPORT}&group_by={group}", headers={"Accept": "text/csv"})
        assert csv.status_code == 200 and found_in(csv.data) == []
    logged = "\n".join(r.getMessage() for r in caplog.records).encode()
    assert found_in(logged) == []
    with store.reader() as uow:
        row = uow.session.get(EmployeeRow, quillon.id)
        personal = ("email", "display_name", "birth_date", "hire_date", "phone", "postal_address")
        assert all(getattr(row, f"{name}_enc") is None for name in personal)
        assert (row.email_bidx, row.external_id, row.slack_user_id) == (None, None, None)
        assert (row.country, row.timezone) == (None, None)
        fulfilments = uow.session.scalars(
            select(RedemptionRow.fulfilment_enc).where(RedemptionRow.employee_id == quillon.id)
        ).all()
        assert fulfilments and all(f is None for f in fulfilments)
        reasons = uow.session.scalars(select(RecognitionRow.reason)).all()
        assert len(reasons) == 3 and all("reason-55" not in r and "4410" not in r for r in reasons)
        for sealed_id, sealed in uow.session.execute(
            select(ApiIdempotencyRow.id, ApiIdempotencyRow.response_body)
        ).all():
            if sealed is not None:
                body = store.cipher.decrypt(sealed, "api_idempotency", "response_body", sealed_id)
                assert "E-ERASE-1" not in body and quillon.id not in body
    assert balances(store, quillon) == points_before  # points stay: reports still add up
    assert verify_ledger(store.engine) == []
    report = hr.get(f"{REPORT}&group_by=recipient").get_json()
    assert sum(r["points"] for r in report["rows"]) == 15


def test_an_erased_hr_id_stays_retired_and_a_repeated_delete_answers_the_same(store, hr):
    seed(store, hr)
    first = hr.delete("/api/v1/employees/E-ERASE-1").get_json()
    again = hr.delete("/api/v1/employees/E-ERASE-1")
    assert again.status_code == 200 and again.get_json()["id"] == first["id"]
    assert holding_the_hr_id(store) == {("employee.erased", "pending")}  # subscribers still learn it
    assert hr.get("/api/v1/employees/E-ERASE-1").status_code == 404
    refused = hr.put("/api/v1/employees/E-ERASE-1", json=QUILLON)
    assert refused.status_code == 409 and refused.get_json()["code"] == "employee_erased"
    readmitted = hr.put("/api/v1/employees/E-ERASE-2", json=QUILLON)
    assert readmitted.status_code == 201 and readmitted.get_json()["id"] != first["id"]
    assert hr.get("/api/v1/employees/E-ERASE-2/balance").get_json()["wallet"] == 0
    assert json.dumps(first).count("Quillon") == 0
