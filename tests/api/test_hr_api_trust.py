"""The HR API says what it means: managers by HR id, safe CSV, write scope writes only, bulk per
item, one rule for company values, one employee per email."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import select, update

from rewards.errors import UnknownValue
from rewards.model import PERSONAL_FIELDS
from rewards.policy import RecognitionPolicy
from rewards.services.people import ChatProfile, meet_chat_user
from rewards.services.recognition import GiveRecognition, give_recognition
from storage.schema.core import EmployeeRow
from tests.factories import employee, fund_wallet, give_allowance

ANA = {"email": "ana@example.com", "display_name": "Ana Lima", "hire_date": "2021-04-01", "phone": "+351 1"}


def test_employee_responses_name_the_manager_by_hr_id(hr):
    hr.put("/api/v1/employees/M-1", json={"display_name": "Boss"})
    put = hr.put("/api/v1/employees/E-1", json={"manager_external_id": "M-1"}).get_json()
    got = hr.get("/api/v1/employees/E-1").get_json()
    listed = hr.get("/api/v1/employees").get_json()["items"]
    by_hr_id = {e["external_id"]: e for e in listed}
    for body in (put, got, by_hr_id["E-1"]):
        assert body["manager_external_id"] == "M-1" and "manager_id" not in body
    spec = hr.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["EmployeeOut"]
    assert "manager_external_id" in spec["properties"] and "manager_id" not in spec["properties"]


FORMULAS = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tTab", "\rCR", " =1+1"]


def test_report_csv_neutralises_every_cell_a_spreadsheet_would_run(store, hr):
    giver = employee(store, external_id="E-0", department="Plain")
    give_allowance(store, giver, 1000)
    for n, department in enumerate(FORMULAS, start=1):
        person = employee(store, external_id=f"E-{n}", department=department)
        give_recognition(
            store.uow(),
            GiveRecognition(giver.id, [person.id], 5, "great work", f"k{n}", value="teamwork"),
            RecognitionPolicy(),
            store.clock,
        )
    employee(store, external_id="-9")  # an HR id can start with a minus sign too
    query = {"from": "2026-03-01T00:00:00Z", "to": "2026-04-01T00:00:00Z", "group_by": "department"}
    response = hr.get("/api/v1/reports/recognition", query_string=query, headers={"Accept": "text/csv"})
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True), newline="")))
    keys = [row[0] for row in rows[1 : 1 + len(FORMULAS)]]
    assert sorted(keys) == sorted("'" + d for d in FORMULAS)
    assert all(row[0][:1] not in "=+-@\t\r" for row in rows if row)


def test_write_scope_alone_reads_no_personal_data_back(store, make_caller):
    writer = make_caller("employees:write")
    created = writer.put("/api/v1/employees/E-1", json=ANA)
    assert created.status_code == 201
    body = created.get_json()
    assert body["external_id"] == "E-1" and body["id"]
    assert not set(PERSONAL_FIELDS) & set(body)
    assert "ana@example.com" not in created.get_data(as_text=True)
    updated = writer.put("/api/v1/employees/E-1", json={"department": "Ops"})
    assert not set(PERSONAL_FIELDS) & set(updated.get_json())
    bulk = writer.post(
        "/api/v1/employees/bulk", json={"items": [{"external_id": "E-2", **ANA, "email": "b@x.io"}]}
    )
    assert "b@x.io" not in bulk.get_data(as_text=True) and "Ana Lima" not in bulk.get_data(as_text=True)
    both = make_caller("employees:write", "employees:read", name="both")
    assert both.put("/api/v1/employees/E-1", json={}).get_json()["email"] == "ana@example.com"


def test_bulk_fails_only_the_invalid_item_and_says_which(hr):
    items = [
        {"external_id": "E-1", "display_name": "Ana"},
        {"external_id": "E-2", "email": "not-an-email", "birth_date": "yesterday"},
        "not an object",
        {"display_name": "No HR id"},
        {"external_id": "E-5", "display_name": "Eve"},
    ]
    response = hr.post("/api/v1/employees/bulk", json={"items": items})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["created"], body["updated"], body["failed"]) == (2, 0, 3)
    results = body["items"]
    assert [r["index"] for r in results] == [0, 1, 2, 3, 4]
    assert [r["result"] for r in results] == ["created", "error", "error", "error", "created"]
    bad = results[1]
    assert bad["external_id"] == "E-2" and bad["error"]["code"] == "invalid_item"
    assert set(bad["error"]["fields"]) == {"email", "birth_date"}
    assert "email" in bad["error"]["detail"] and "birth_date" in bad["error"]["detail"]
    assert results[3]["external_id"] is None and results[3]["error"]["fields"] == ["external_id"]
    assert hr.get("/api/v1/employees/E-2").status_code == 404
    assert hr.get("/api/v1/employees/E-5").status_code == 200


def test_bulk_resolves_managers_that_come_later_in_the_batch(hr):
    items = [
        {"external_id": "E-1", "manager_external_id": "M-2"},
        {"external_id": "M-2", "manager_external_id": "M-3"},
        {"external_id": "M-3"},
        {"external_id": "E-4", "manager_external_id": "M-404"},
    ]
    results = hr.post("/api/v1/employees/bulk", json={"items": items}).get_json()["items"]
    assert [r["result"] for r in results] == ["created", "created", "created", "error"]
    assert [r["external_id"] for r in results] == ["E-1", "M-2", "M-3", "E-4"]
    assert results[3]["error"]["code"] == "unknown_manager"
    assert hr.get("/api/v1/employees/E-1").get_json()["manager_external_id"] == "M-2"
    assert hr.get("/api/v1/employees/M-2").get_json()["manager_external_id"] == "M-3"


def test_csv_import_resolves_managers_on_later_lines(
    db_url, keyring, blind_index, monkeypatch, capsys, tmp_path, store, hr
):
    import base64

    from plaudit import cli

    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("PLAUDIT_ENCRYPTION_KEYS", f"k1:{base64.b64encode(keyring.key('k1')).decode()}")
    monkeypatch.setenv("PLAUDIT_BLIND_INDEX_KEY", base64.b64encode(blind_index._key).decode())
    sheet = tmp_path / "people.csv"
    sheet.write_text(
        "external_id,manager_external_id,email\nE-1,M-1,e1@example.com\nE-2,,nope\nM-1,,m1@example.com\n"
    )
    assert cli.main(["employees", "import", str(sheet)]) == 1
    report = capsys.readouterr().out
    assert "line 2: created: E-1" in report and "line 3: error: invalid email" in report
    assert "line 4: created: M-1" in report
    assert hr.get("/api/v1/employees/E-1").get_json()["manager_external_id"] == "M-1"


def slack_refusal(store, value: str) -> str:
    giver, taker = employee(store), employee(store)
    give_allowance(store, giver, 100)
    with pytest.raises(UnknownValue) as refused:
        give_recognition(
            store.uow(),
            GiveRecognition(giver.id, [taker.id], 5, "great work", "slack-k", value=value),
            RecognitionPolicy(),
            store.clock,
        )
    return refused.value.message


def test_awards_refuse_an_unknown_value_as_slack_does(store, hr):
    employee(store, external_id="E-1")
    slack_says = slack_refusal(store, "synergy")
    award = {"employee_ids": ["E-1"], "points": 5, "reason": "launch", "value": "synergy"}
    refused = hr.post("/api/v1/awards", key="a-1", json=award)
    assert refused.status_code == 422
    assert refused.get_json()["code"] == "unknown_value" and refused.get_json()["detail"] == slack_says
    batch = {"reason": "launch", "value": "synergy", "items": [{"employee_id": "E-1", "points": 5}]}
    refused_batch = hr.post("/api/v1/awards/batch", key="b-1", json=batch)
    assert refused_batch.status_code == 422 and refused_batch.get_json()["detail"] == slack_says
    ledger = hr.get("/api/v1/ledger/transactions?kind=award").get_json()["items"]
    assert ledger == []
    accepted = hr.post("/api/v1/awards", key="a-2", json={**award, "value": "#Ownership"})
    assert accepted.status_code == 201, accepted.get_json()
    assert hr.post("/api/v1/awards/batch", key="b-2", json={**batch, "value": "teamwork"}).status_code == 201


def test_two_employees_cannot_share_an_email(store, hr):
    assert hr.put("/api/v1/employees/E-1", json=ANA).status_code == 201
    taken = hr.put("/api/v1/employees/E-2", json={"email": "ANA@Example.com"})
    assert taken.status_code == 409
    problem = taken.get_json()
    assert problem["code"] == "duplicate_employee" and problem["field"] == "email"
    assert "email" in problem["detail"]
    assert hr.get("/api/v1/employees/E-2").status_code == 404
    hr.put("/api/v1/employees/E-3", json={"email": "cy@example.com"})
    assert hr.put("/api/v1/employees/E-3", json={"email": "ana@example.com"}).status_code == 409
    assert hr.put("/api/v1/employees/E-1", json={"email": "ana@example.com"}).status_code == 200
    bulk = hr.post(
        "/api/v1/employees/bulk", json={"items": [{"external_id": "E-4", "email": "ana@example.com"}]}
    )
    assert bulk.get_json()["items"][0]["error"]["code"] == "duplicate_employee"


def test_the_database_refuses_a_second_row_with_the_same_email(store, hr):
    hr.put("/api/v1/employees/E-1", json=ANA)
    hr.put("/api/v1/employees/E-2", json={"email": "ben@example.com"})
    with store.engine.connect() as conn:
        ana_key = conn.execute(
            select(EmployeeRow.email_bidx).where(EmployeeRow.external_id == "E-1")
        ).scalar()
        with pytest.raises(Exception, match="(?i)unique"):
            conn.execute(
                update(EmployeeRow).where(EmployeeRow.external_id == "E-2").values(email_bidx=ana_key)
            )
        conn.rollback()


def test_hr_adopts_the_person_slack_met_first_by_email(store, hr):
    met, _ = meet_chat_user(store.uow(), ChatProfile("U0ANA", email="ana@example.com"), store.clock)
    response = hr.put("/api/v1/employees/E-1", json=ANA)
    assert response.status_code == 200 and response.get_json()["id"] == met.id
    assert response.get_json()["slack_user_id"] == "U0ANA"
    twin, _ = meet_chat_user(store.uow(), ChatProfile("U0TWIN", email="ana@example.com"), store.clock)
    assert twin.id != met.id and twin.email is None


def test_award_value_is_stored_as_slack_stores_it(store, hr):
    ana = employee(store, external_id="E-1")
    fund_wallet(store, ana, 1)
    hr.post(
        "/api/v1/awards",
        key="v-1",
        json={"employee_ids": ["E-1"], "points": 5, "reason": "x", "value": " #TeamWork"},
    )
    with store.engine.connect() as conn:
        from storage.schema.core import OutboxRow

        payloads = (
            conn.execute(select(OutboxRow.payload).where(OutboxRow.topic == "award.issued")).scalars().all()
        )
    values = [json.loads(p)["data"]["value"] for p in payloads]
    assert [v for v in values if v is not None] == ["teamwork"]
