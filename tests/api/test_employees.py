"""Employees over HTTP: upsert by HR id, read, sync list, bulk, erasure, and the CSV import."""

from __future__ import annotations

import base64
import json

from sqlalchemy import select

from plaudit import cli
from storage.ledger.verify import verify_ledger
from storage.schema.core import EmployeeRow, OutboxRow
from tests.factories import balances, fund_wallet

ANA = {
    "email": "ana@example.com",
    "display_name": "Ana Lima",
    "department": "Sales",
    "timezone": "Europe/Lisbon",
    "hire_date": "2021-04-01",
    "country": "PT",
}


def test_put_creates_then_updates(hr):
    created = hr.put("/api/v1/employees/E-1", json=ANA)
    assert created.status_code == 201
    assert created.get_json()["email"] == "ana@example.com"
    updated = hr.put("/api/v1/employees/E-1", json={"department": "Support", "phone": None})
    assert updated.status_code == 200
    body = updated.get_json()
    assert body["department"] == "Support" and body["display_name"] == "Ana Lima"
    assert body["id"] == created.get_json()["id"]
    assert hr.get("/api/v1/employees/E-1").get_json() == body


def test_personal_fields_are_encrypted_at_rest(store, hr):
    hr.put("/api/v1/employees/E-1", json=ANA)
    with store.engine.connect() as conn:
        row = conn.execute(select(EmployeeRow.__table__)).one()
    assert "ana@example.com" not in repr(row) and "Ana Lima" not in repr(row)


def test_manager_is_named_by_hr_id(hr):
    hr.put("/api/v1/employees/M-1", json={"display_name": "Boss"})
    ana = hr.put("/api/v1/employees/E-1", json={**ANA, "manager_external_id": "M-1"}).get_json()
    assert ana["manager_external_id"] == "M-1" and "manager_id" not in ana
    assert hr.get("/api/v1/employees/E-1").get_json()["manager_external_id"] == "M-1"
    listed = hr.get("/api/v1/employees").get_json()["items"]
    assert {e["external_id"]: e["manager_external_id"] for e in listed} == {"M-1": None, "E-1": "M-1"}
    unknown = hr.put("/api/v1/employees/E-2", json={"manager_external_id": "M-404"})
    assert unknown.status_code == 422
    assert unknown.get_json()["code"] == "unknown_manager"


def test_bad_fields_are_named(hr):
    response = hr.put(
        "/api/v1/employees/E-1", json={"timezone": "Mars/Base", "birth_date": 12, "email": "nope"}
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.get_json()["errors"]}
    assert fields == {"body.timezone", "body.birth_date", "body.email"}


def test_unknown_employee_is_404(hr):
    response = hr.get("/api/v1/employees/E-404")
    assert response.status_code == 404
    assert response.get_json()["code"] == "employee_not_found"


def test_list_pages_with_a_cursor_and_filters_by_updated_since(hr, clock):
    for n in range(5):
        hr.put(f"/api/v1/employees/E-{n}", json={"display_name": f"P{n}"})
        clock.advance(minutes=1)
    first = hr.get("/api/v1/employees?limit=2").get_json()
    second = hr.get(f"/api/v1/employees?limit=2&cursor={first['next_cursor']}").get_json()
    third = hr.get(f"/api/v1/employees?limit=2&cursor={second['next_cursor']}").get_json()
    seen = [e["external_id"] for page in (first, second, third) for e in page["items"]]
    assert seen == ["E-0", "E-1", "E-2", "E-3", "E-4"]
    assert third["next_cursor"] is None
    since = hr.get("/api/v1/employees", query_string={"updated_since": "2026-03-02T10:03:00Z"})
    assert [e["external_id"] for e in since.get_json()["items"]] == ["E-3", "E-4"]
    assert hr.get("/api/v1/employees?cursor=garbage!").status_code == 422


def test_bulk_reports_each_item(hr):
    hr.put("/api/v1/employees/E-1", json=ANA)
    response = hr.post(
        "/api/v1/employees/bulk",
        json={
            "items": [
                {"external_id": "E-1", "department": "Ops"},
                {"external_id": "E-2", "display_name": "Ben"},
                {"external_id": "E-3", "manager_external_id": "M-404"},
            ]
        },
    )
    body = response.get_json()
    assert response.status_code == 200
    assert (body["created"], body["updated"], body["failed"]) == (1, 1, 1)
    assert [i["result"] for i in body["items"]] == ["updated", "created", "error"]
    assert body["items"][2]["error"]["code"] == "unknown_manager"
    too_many = hr.post(
        "/api/v1/employees/bulk", json={"items": [{"external_id": f"E-{n}"} for n in range(1001)]}
    )
    assert too_many.status_code == 422


def test_delete_erases_personal_data_and_keeps_the_ledger(store, hr):
    created = hr.put("/api/v1/employees/E-1", json=ANA).get_json()
    with store.reader() as uow:
        fund_wallet(store, uow.employees.get(created["id"]), 30)
    erased = hr.delete("/api/v1/employees/E-1")
    body = erased.get_json()
    assert erased.status_code == 200
    assert body["email"] is None and body["display_name"] is None and body["erased_at"]
    assert body["status"] == "inactive"
    assert hr.get("/api/v1/employees/E-1").status_code == 404
    assert hr.put("/api/v1/employees/E-1", json=ANA).get_json()["code"] == "employee_erased"
    listed = hr.get("/api/v1/employees").get_json()["items"]
    assert listed[0]["erased_at"] and listed[0]["email"] is None  # sync clients see the erasure
    with store.reader() as uow:
        assert balances(store, uow.employees.get(created["id"]))["wallet"] == 30
    assert verify_ledger(store.engine) == []
    with store.engine.connect() as conn:
        payloads = (
            conn.execute(select(OutboxRow.payload).where(OutboxRow.topic == "employee.erased"))
            .scalars()
            .all()
        )
    assert payloads and json.loads(payloads[0])["data"]["employee_id"] == created["id"]
    assert "ana@example.com" not in payloads[0]


def test_csv_import_with_dry_run_and_a_report_per_row(
    db_url, keyring, blind_index, monkeypatch, capsys, tmp_path, store, hr
):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("PLAUDIT_ENCRYPTION_KEYS", f"k1:{base64.b64encode(keyring.key('k1')).decode()}")
    monkeypatch.setenv("PLAUDIT_BLIND_INDEX_KEY", base64.b64encode(blind_index._key).decode())
    hr.put("/api/v1/employees/E-1", json=ANA)
    sheet = tmp_path / "people.csv"
    sheet.write_text(
        "external_id,email,display_name,department,hire_date,is_guest\n"
        "E-1,ana@example.com,Ana Lima,Ops,2021-04-01,no\n"
        "E-2,ben@example.com,Ben,Sales,2022-01-10,false\n"
        "E-3,not-an-email,Cy,Sales,yesterday,no\n"
    )
    assert cli.main(["employees", "import", str(sheet), "--dry-run"]) == 1
    report = capsys.readouterr().out
    assert "line 2: would update" in report and "line 3: would create" in report
    assert "line 4: error: invalid email, hire_date" in report
    assert hr.get("/api/v1/employees/E-2").status_code == 404
    assert cli.main(["employees", "import", str(sheet)]) == 1
    report = capsys.readouterr().out
    assert "line 2: updated" in report and "line 3: created" in report
    assert hr.get("/api/v1/employees/E-1").get_json()["department"] == "Ops"
    assert hr.get("/api/v1/employees/E-2").get_json()["display_name"] == "Ben"
