"""Catalog and redemptions over HTTP: CRUD, the state machine, 409s naming the state."""

from __future__ import annotations

from sqlalchemy import select

from storage.ledger.verify import verify_ledger
from storage.schema.core import RedemptionRow
from tests.factories import balances, employee, fund_wallet

GIFT = {
    "name": "Book voucher",
    "points_cost": 40,
    "kind": "gift_card",
    "denomination": "25 EUR",
    "stock": 5,
    "requires_approval": True,
}


def test_catalog_create_read_list_and_patch(hr):
    created = hr.post("/api/v1/catalog/items", json=GIFT)
    item = created.get_json()
    assert created.status_code == 201
    assert created.headers["Location"] == f"/api/v1/catalog/items/{item['id']}"
    assert hr.get(f"/api/v1/catalog/items/{item['id']}").get_json() == item
    hr.post("/api/v1/catalog/items", json={"name": "Day off", "points_cost": 300})
    listing = hr.get("/api/v1/catalog/items?limit=1").get_json()
    assert len(listing["items"]) == 1 and listing["next_cursor"]
    patched = hr.patch(f"/api/v1/catalog/items/{item['id']}", json={"active": False, "stock": None})
    assert patched.get_json()["active"] is False and patched.get_json()["stock"] is None
    assert patched.get_json()["name"] == "Book voucher"
    active = hr.get("/api/v1/catalog/items?active=true").get_json()["items"]
    assert [i["name"] for i in active] == ["Day off"]


def test_catalog_validation(hr):
    bad = hr.post("/api/v1/catalog/items", json={"name": " ", "points_cost": "40", "kind": "car"})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.get_json()["errors"]} == {"body.name", "body.points_cost", "body.kind"}
    assert hr.get("/api/v1/catalog/items/999").status_code == 404
    assert hr.patch("/api/v1/catalog/items/1", json={"name": None}).status_code == 422


def redeemable(store, hr, points=100, item=GIFT):
    ana = employee(store, external_id="E-1")
    fund_wallet(store, ana, points)
    item_id = hr.post("/api/v1/catalog/items", json=item).get_json()["id"]
    return ana, item_id


def test_redeem_approve_fulfil(store, hr):
    ana, item_id = redeemable(store, hr)
    created = hr.post("/api/v1/redemptions", key="r-1", json={"employee_id": "E-1", "item_id": item_id})
    redemption = created.get_json()
    assert created.status_code == 201
    assert redemption["state"] == "requested" and redemption["employee_id"] == "E-1"
    assert balances(store, ana) == {"allowance": 0, "wallet": 60, "held": 40}
    rid = redemption["id"]
    approved = hr.post(f"/api/v1/redemptions/{rid}/approve", key="r-2", json={})
    assert approved.get_json()["state"] == "approved"
    fulfilled = hr.post(f"/api/v1/redemptions/{rid}/fulfill", key="r-3", json={"fulfilment": "CODE-1234-XYZ"})
    assert fulfilled.get_json()["state"] == "fulfilled"
    assert hr.get(f"/api/v1/redemptions/{rid}").get_json()["fulfilment"] == "CODE-1234-XYZ"
    assert balances(store, ana) == {"allowance": 0, "wallet": 60, "held": 0}
    with store.engine.connect() as conn:
        stored = conn.execute(select(RedemptionRow.fulfilment_enc)).scalar_one()
    assert "CODE-1234" not in stored
    assert verify_ledger(store.engine) == []


def test_reject_and_cancel_return_the_points(store, hr):
    ana, item_id = redeemable(store, hr)
    first = hr.post("/api/v1/redemptions", key="r-1", json={"employee_id": "E-1", "item_id": item_id})
    second = hr.post("/api/v1/redemptions", key="r-2", json={"employee_id": "E-1", "item_id": item_id})
    no_reason = hr.post(f"/api/v1/redemptions/{first.get_json()['id']}/reject", key="r-3", json={})
    assert no_reason.status_code == 422
    rejected = hr.post(
        f"/api/v1/redemptions/{first.get_json()['id']}/reject", key="r-4", json={"reason": "Out of budget"}
    )
    assert rejected.get_json()["state"] == "rejected"
    cancelled = hr.post(f"/api/v1/redemptions/{second.get_json()['id']}/cancel", key="r-5", json={})
    assert cancelled.get_json()["state"] == "cancelled"
    assert balances(store, ana) == {"allowance": 0, "wallet": 100, "held": 0}
    assert verify_ledger(store.engine) == []


def test_an_illegal_transition_is_409_with_the_current_state(store, hr):
    _, item_id = redeemable(store, hr)
    rid = hr.post(
        "/api/v1/redemptions", key="r-1", json={"employee_id": "E-1", "item_id": item_id}
    ).get_json()["id"]
    response = hr.post(f"/api/v1/redemptions/{rid}/fulfill", key="r-2", json={"fulfilment": "x"})
    assert response.status_code == 409
    body = response.get_json()
    assert body["code"] == "illegal_transition" and body["state"] == "requested"
    assert hr.post("/api/v1/redemptions/999/approve", key="r-3", json={}).status_code == 404


def test_list_redemptions_by_state_and_employee(store, hr):
    _, item_id = redeemable(store, hr)
    employee(store, external_id="E-2")
    for key in ("r-1", "r-2"):
        hr.post("/api/v1/redemptions", key=key, json={"employee_id": "E-1", "item_id": item_id})
    rid = hr.get("/api/v1/redemptions").get_json()["items"][0]["id"]
    hr.post(f"/api/v1/redemptions/{rid}/approve", key="r-3", json={})
    approved = hr.get("/api/v1/redemptions?state=approved").get_json()["items"]
    assert [r["id"] for r in approved] == [rid]
    assert hr.get("/api/v1/redemptions?employee_id=E-2").get_json()["items"] == []
    page = hr.get("/api/v1/redemptions?limit=1").get_json()
    assert len(page["items"]) == 1 and page["next_cursor"]


def test_redeeming_without_enough_points_is_409(store, hr):
    ana, item_id = redeemable(store, hr, points=10)
    response = hr.post("/api/v1/redemptions", key="r-1", json={"employee_id": "E-1", "item_id": item_id})
    assert response.status_code == 409
    assert response.get_json()["code"] == "insufficient_points"
    assert balances(store, ana)["wallet"] == 10
