"""Erasure cancels the person's open redemptions (points back to their wallet) and nothing may
decide or fulfil a redemption of an erased person afterwards, through any door."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from rewards.model import RedemptionState
from storage.ledger.verify import verify_ledger
from storage.schema.core import OutboxRow, TransactionRow
from tests.factories import balances, employee, fund_wallet


def counts(uow):
    rows = [uow.session.scalar(select(func.count()).select_from(t)) for t in (TransactionRow, OutboxRow)]
    return tuple(rows)


TRIP = {"name": "Trip", "points_cost": 40, "stock": 5, "requires_approval": True}


def two_open_redemptions(store, hr):
    ana = employee(store, external_id="E-1", slack_user_id="UANA")
    fund_wallet(store, ana, 100)
    item_id = hr.post("/api/v1/catalog/items", json=TRIP).get_json()["id"]
    asked = hr.post("/api/v1/redemptions", key="r-1", json={"employee_id": "E-1", "item_id": item_id})
    approved = hr.post("/api/v1/redemptions", key="r-2", json={"employee_id": "E-1", "item_id": item_id})
    assert (
        hr.post(f"/api/v1/redemptions/{approved.get_json()['id']}/approve", key="a-1", json={}).status_code
        == 200
    )
    assert balances(store, ana) == {"allowance": 0, "wallet": 20, "held": 40}
    return ana, item_id, asked.get_json()["id"], approved.get_json()["id"]


def test_erasure_cancels_open_redemptions_and_gives_their_points_back(store, hr):
    ana, item_id, asked, approved = two_open_redemptions(store, hr)

    assert hr.delete("/api/v1/employees/E-1").status_code == 200

    with store.reader() as uow:
        assert uow.redemptions.get(asked).state == RedemptionState.CANCELLED
        assert uow.redemptions.get(approved).state == RedemptionState.CANCELLED
        assert uow.catalog.get(item_id).stock == 5
    assert balances(store, ana) == {"allowance": 0, "wallet": 100, "held": 0}
    assert verify_ledger(store.engine) == []
    assert hr.delete("/api/v1/employees/E-1").status_code == 200  # a repeat cancels nothing twice
    assert balances(store, ana) == {"allowance": 0, "wallet": 100, "held": 0}


def test_no_decision_or_fulfilment_is_taken_on_a_redemption_of_an_erased_person(store, hr):
    _, _, asked, approved = two_open_redemptions(store, hr)
    hr.delete("/api/v1/employees/E-1")
    with store.reader() as uow:
        before = counts(uow)

    for rid, verb, body in [
        (asked, "approve", {"reason": "NEW-REASON-771"}),
        (asked, "reject", {"reason": "NEW-REASON-772"}),
        (asked, "cancel", {}),
        (approved, "fulfill", {"fulfilment": "CODE-AFTER-ERASE-1"}),
    ]:
        refused = hr.post(f"/api/v1/redemptions/{rid}/{verb}", key=f"late-{verb}", json=body)
        assert refused.status_code == 409, (verb, refused.get_json())
        assert refused.get_json()["code"] == "employee_erased"
        assert "erased" in refused.get_json()["detail"]
    listed = json.dumps(hr.get("/api/v1/redemptions").get_json())
    assert "CODE-AFTER-ERASE" not in listed and "NEW-REASON" not in listed
    with store.reader() as uow:
        after = counts(uow)
    assert after == before
