"""Balances, ledger transactions, recognitions and the recognition report over HTTP."""

from __future__ import annotations

import csv
import io

from rewards.policy import RecognitionPolicy
from rewards.services.recognition import GiveRecognition, give_recognition
from tests.factories import employee, fund_wallet, give_allowance


def kudos(store, giver, recipients, points, key, value="teamwork", private=False):
    give_recognition(
        store.uow(),
        GiveRecognition(
            giver_id=giver.id,
            recipient_ids=[r.id for r in recipients],
            points=points,
            reason="great work",
            idempotency_key=key,
            value=value,
            private=private,
        ),
        RecognitionPolicy(),
        store.clock,
    )


def test_balance_shows_allowance_wallet_and_held(store, hr):
    ana = employee(store, external_id="E-1")
    give_allowance(store, ana, 100)
    fund_wallet(store, ana, 30)
    response = hr.get("/api/v1/employees/E-1/balance")
    assert response.get_json() == {"employee_id": "E-1", "allowance": 100, "wallet": 30, "held": 0}


def test_transactions_filter_by_employee_kind_and_time(store, hr, clock):
    ana, ben = employee(store, external_id="E-1"), employee(store, external_id="E-2")
    fund_wallet(store, ana, 30)
    clock.advance(minutes=10)  # the token lives 15 minutes
    give_allowance(store, ben, 100)
    everything = hr.get("/api/v1/ledger/transactions").get_json()["items"]
    assert [t["kind"] for t in everything] == ["award", "allowance.grant"]
    ana_only = hr.get("/api/v1/ledger/transactions?employee_id=E-1").get_json()["items"]
    assert [t["kind"] for t in ana_only] == ["award"]
    wallet_line = [p for p in ana_only[0]["postings"] if p["employee_id"] == "E-1"]
    assert wallet_line == [{"account": "wallet", "employee_id": "E-1", "amount": 30}]
    grants = hr.get("/api/v1/ledger/transactions?kind=allowance.grant").get_json()["items"]
    assert len(grants) == 1
    later = hr.get(
        "/api/v1/ledger/transactions", query_string={"since": "2026-03-02T10:05:00+00:00"}
    ).get_json()["items"]
    assert [t["kind"] for t in later] == ["allowance.grant"]
    page = hr.get("/api/v1/ledger/transactions?limit=1").get_json()
    rest = hr.get(f"/api/v1/ledger/transactions?limit=1&cursor={page['next_cursor']}").get_json()
    assert [t["kind"] for t in page["items"] + rest["items"]] == ["award", "allowance.grant"]


def team(store):
    ana = employee(store, external_id="E-1", department="Sales")
    ben = employee(store, external_id="E-2", department="Support")
    cy = employee(store, external_id="E-3", department="Support")
    employee(store, external_id="E-4", department="Sales")
    give_allowance(store, ana, 100)
    kudos(store, ana, [ben, cy], 10, "k-1")
    kudos(store, ana, [ben], 5, "k-2", value="ownership", private=True)
    return ana, ben, cy


def test_recognitions_list_with_filters(store, hr):
    team(store)
    items = hr.get("/api/v1/recognitions").get_json()["items"]
    assert [(r["giver_id"], sorted(r["recipient_ids"]), r["points_each"]) for r in items] == [
        ("E-1", ["E-2", "E-3"], 10),
        ("E-1", ["E-2"], 5),
    ]
    assert items[1]["reason"] is None  # private
    assert len(hr.get("/api/v1/recognitions?value=ownership").get_json()["items"]) == 1
    assert len(hr.get("/api/v1/recognitions?department=Sales").get_json()["items"]) == 0


def test_recognition_report_json_and_csv_with_participation(store, hr):
    team(store)
    query = {"from": "2026-03-01T00:00:00Z", "to": "2026-04-01T00:00:00Z", "group_by": "department"}
    report = hr.get("/api/v1/reports/recognition", query_string=query).get_json()
    # Recognitions received: k-1 to ben and cy (both Support) counts for each of them.
    assert report["rows"] == [{"key": "Support", "recognitions": 3, "points": 25}]
    assert report["participation"] == {
        "active_employees": 4,
        "gave": 1,
        "received": 2,
        "gave_share": 0.25,
        "received_share": 0.5,
    }
    by_recipient = hr.get(
        "/api/v1/reports/recognition", query_string={**query, "group_by": "recipient"}
    ).get_json()
    assert [r["key"] for r in by_recipient["rows"]] == ["E-2", "E-3"]
    as_csv = hr.get("/api/v1/reports/recognition", query_string=query, headers={"Accept": "text/csv"})
    assert as_csv.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(as_csv.get_data(as_text=True))))
    assert rows[0] == ["department", "recognitions", "points"] and rows[1] == ["Support", "3", "25"]
    backwards = hr.get("/api/v1/reports/recognition", query_string={**query, "from": "2026-05-01T00:00:00Z"})
    assert backwards.status_code == 422
