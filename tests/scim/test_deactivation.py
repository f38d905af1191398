"""Deactivation through any door: pending redemptions cancelled with their held points returned,
exactly once; approved ones kept for HR; re-activation keeps the history; an inactive person
can neither give, receive nor redeem in Slack or over the API."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import func, select

from bot.simulator.fake_slack import FakeSlack
from bot.simulator.signed_requests import SlackDriver, flask_transport
from plaudit.assembly import build_web_app
from rewards.errors import InactiveEmployee
from rewards.model import CatalogItem, RedemptionState
from rewards.policy import RedemptionPolicy
from rewards.services.catalog import add_item
from rewards.services.deactivation import went_inactive
from rewards.services.employees import upsert_employee
from rewards.services.redemptions import decide_redemption, request_redemption
from storage.ledger.verify import verify_ledger
from storage.schema.core import OutboxRow, TransactionRow
from tests.api.callers import new_caller
from tests.factories import balances, employee, fund_wallet, give_allowance
from tests.scim.conftest import patch_body
from tests.slack.helpers import SECRET, make_settings

POLICY = RedemptionPolicy(approval_threshold=100)


@pytest.fixture
def web(store) -> Iterator[tuple[Flask, SlackDriver]]:
    """The one web app (HR API and Slack) on this store, and a driver of signed Slack requests."""
    with FakeSlack() as fake:
        for user_id, name in {"UANA": "ana", "UBEN": "ben"}.items():
            fake.add_user(user_id, name=name.title(), email=f"{name}@example.com")
        app = build_web_app(make_settings(store, fake), store)
        yield app, SlackDriver(flask_transport(app.test_client()), SECRET)


def world(store):
    """Ana (manager Ben) holds one requested trip, one approved trip and an instant mug."""
    ben = employee(store, external_id="E-BEN", slack_user_id="UBEN")
    ana = employee(store, external_id="E-ANA", slack_user_id="UANA", manager_id=ben.id)
    fund_wallet(store, ana, 500)
    trip = add_item(store.uow(), CatalogItem(id=0, name="Trip", points_cost=200, stock=5), store.clock)
    mug = add_item(store.uow(), CatalogItem(id=0, name="Mug", points_cost=50), store.clock)
    asked = request_redemption(store.uow(), ana.id, trip.id, "r-asked", POLICY, store.clock)
    approved = request_redemption(store.uow(), ana.id, trip.id, "r-approved", POLICY, store.clock)
    decide_redemption(store.uow(), approved.id, "approve", "d-1", store.clock, POLICY, actor_id=ben.id)
    instant = request_redemption(store.uow(), ana.id, mug.id, "r-mug", POLICY, store.clock)
    assert balances(store, ana) == {"allowance": 0, "wallet": 50, "held": 200}
    return ana, ben, trip, {"asked": asked.id, "approved": approved.id, "instant": instant.id}


def set_status(store, person, status):
    return upsert_employee(store.uow(), person.external_id, {"status": status}, store.clock)[0]


def states(store, ids):
    with store.reader() as uow:
        return {name: uow.redemptions.get(rid).state for name, rid in ids.items()}


def cancellations(store):
    with store.engine.connect() as conn:
        keys = conn.execute(
            select(TransactionRow.idempotency_key).where(TransactionRow.kind == "redemption.cancel")
        )
        return sorted(keys.scalars())


def cancelled_notices(store):
    with store.engine.connect() as conn:
        return conn.execute(
            select(func.count()).select_from(OutboxRow).where(OutboxRow.topic == "redemption.cancelled")
        ).scalar_one()


def test_deactivation_cancels_pending_redemptions_and_returns_their_points_once(store):
    ana, _, trip, ids = world(store)

    set_status(store, ana, "inactive")

    assert states(store, ids) == {
        "asked": RedemptionState.CANCELLED,
        "approved": RedemptionState.APPROVED,  # HR decides: fulfil (already ordered?) or cancel
        "instant": RedemptionState.APPROVED,
    }
    assert balances(store, ana) == {"allowance": 0, "wallet": 250, "held": 0}
    with store.reader() as uow:
        assert uow.catalog.get(trip.id).stock == 4  # the cancelled trip is back in stock
        assert uow.redemptions.get(ids["asked"]).decision_reason == "deactivated"
    assert cancellations(store) == [f"deactivation:redemption:{ids['asked']}:cancel"]
    assert cancelled_notices(store) >= 1
    assert verify_ledger(store.engine) == []

    set_status(store, ana, "inactive")  # told again: nothing more happens
    upsert_employee(store.uow(), "E-ANA", {"department": "Ops"}, store.clock)
    assert balances(store, ana) == {"allowance": 0, "wallet": 250, "held": 0}
    assert len(cancellations(store)) == 1


def test_reactivation_keeps_the_history_and_a_later_deactivation_cancels_only_new_requests(store):
    ana, _, trip, ids = world(store)
    set_status(store, ana, "inactive")
    notices = cancelled_notices(store)

    back = set_status(store, ana, "active")
    assert back.is_active and back.id == ana.id
    assert states(store, ids)["asked"] == RedemptionState.CANCELLED  # not revived
    assert balances(store, ana) == {"allowance": 0, "wallet": 250, "held": 0}
    assert cancelled_notices(store) == notices

    again = request_redemption(store.uow(), ana.id, trip.id, "r-again", POLICY, store.clock)
    set_status(store, ana, "inactive")
    assert states(store, {"again": again.id})["again"] == RedemptionState.CANCELLED
    assert len(cancellations(store)) == 2
    assert balances(store, ana) == {"allowance": 0, "wallet": 250, "held": 0}
    assert verify_ledger(store.engine) == []


def test_concurrent_deactivations_cancel_each_redemption_once(store):
    ana, _, _, ids = world(store)
    barrier = threading.Barrier(6)
    failures: list[BaseException] = []

    def deactivate():
        try:
            barrier.wait()
            set_status(store, ana, "inactive")
        except BaseException as exc:  # noqa: BLE001  (reported below)
            failures.append(exc)

    threads = [threading.Thread(target=deactivate) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert cancellations(store) == [f"deactivation:redemption:{ids['asked']}:cancel"]
    assert balances(store, ana) == {"allowance": 0, "wallet": 250, "held": 0}
    assert verify_ledger(store.engine) == []


def test_only_an_active_to_inactive_change_is_a_deactivation(store):
    ana = employee(store)
    inactive = set_status(store, ana, "inactive")
    assert went_inactive(ana, inactive)
    assert not went_inactive(None, inactive)  # created inactive: nothing to cancel
    assert not went_inactive(inactive, inactive)
    assert not went_inactive(inactive, ana)


def test_deactivation_over_the_hr_api_cancels_too(store, web):
    ana, _, _, ids = world(store)
    hr = new_caller(store, web[0].test_client())
    assert hr.put("/api/v1/employees/E-ANA", json={"status": "inactive"}).status_code == 200
    assert states(store, ids)["asked"] == RedemptionState.CANCELLED
    assert balances(store, ana)["held"] == 0


def test_an_inactive_person_can_neither_give_receive_nor_redeem_in_slack(store, web):
    slack = web[1]
    ana = employee(store, external_id="E-ANA", slack_user_id="UANA")
    ben = employee(store, external_id="E-BEN", slack_user_id="UBEN")
    give_allowance(store, ana, 100)
    give_allowance(store, ben, 100)
    fund_wallet(store, ana, 100)
    add_item(store.uow(), CatalogItem(id=0, name="Coffee mug", points_cost=50), store.clock)
    set_status(store, ana, "inactive")

    gives = slack.command("UANA", "<@UBEN> 10 for the demo").json()
    assert "not an active employee" in gives["text"]
    receives = slack.command("UBEN", "<@UANA> 10 for the demo").json()
    assert "no longer active" in receives["text"]
    redeems = slack.command("UANA", "redeem coffee mug").json()
    assert "Inactive employees cannot redeem" in redeems["text"]
    assert balances(store, ana) == {"allowance": 100, "wallet": 100, "held": 0}
    assert balances(store, ben) == {"allowance": 100, "wallet": 0, "held": 0}


def test_an_inactive_person_can_neither_receive_nor_redeem_over_the_api(store, web):
    ana = employee(store, external_id="E-ANA", slack_user_id="UANA")
    fund_wallet(store, ana, 100)
    hr = new_caller(store, web[0].test_client())
    item_id = hr.post("/api/v1/catalog/items", json={"name": "Mug", "points_cost": 50}).get_json()["id"]
    set_status(store, ana, "inactive")

    award = hr.post("/api/v1/awards", key="a-1", json={"employee_ids": ["E-ANA"], "points": 5, "reason": "x"})
    assert award.status_code == 422 and award.get_json()["code"] == "inactive_employee"
    redeem = hr.post("/api/v1/redemptions", key="r-1", json={"employee_id": "E-ANA", "item_id": item_id})
    assert redeem.status_code == 422 and redeem.get_json()["code"] == "inactive_employee"
    assert balances(store, ana) == {"allowance": 0, "wallet": 100, "held": 0}


def test_deactivation_over_scim_cancels_too_in_entras_and_okta_forms(store, idp):
    ana, _, trip, ids = world(store)
    entra = patch_body({"op": "Replace", "path": "active", "value": "False"})
    assert idp.patch(f"/Users/{ana.id}", entra).status_code == 200
    assert states(store, ids)["asked"] == RedemptionState.CANCELLED
    assert balances(store, ana) == {"allowance": 0, "wallet": 250, "held": 0}

    okta_back = patch_body({"op": "replace", "value": {"active": True}})
    assert idp.patch(f"/Users/{ana.id}", okta_back).status_code == 200
    asked = request_redemption(store.uow(), ana.id, trip.id, "r-after", POLICY, store.clock)
    assert idp.delete(f"/Users/{ana.id}").status_code == 204  # DELETE deactivates too
    assert states(store, {"after": asked.id})["after"] == RedemptionState.CANCELLED
    assert balances(store, ana) == {"allowance": 0, "wallet": 250, "held": 0}
    assert verify_ledger(store.engine) == []


def race_request_and_deactivation(store, person, item_id: int, key: str) -> list[object]:
    """Start a redemption request and the person's deactivation at the same moment; their outcomes."""
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def request():
        barrier.wait()
        try:
            outcomes.append(request_redemption(store.uow(), person.id, item_id, key, POLICY, store.clock))
        except InactiveEmployee as refused:
            outcomes.append(refused)

    def deactivate():
        barrier.wait()
        outcomes.append(set_status(store, person, "inactive"))

    threads = [threading.Thread(target=request), threading.Thread(target=deactivate)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_a_request_racing_a_deactivation_is_refused_or_cancelled(store):
    """Whichever commits first, no request is left waiting for an approver once they are inactive,
    and neither fails (a deadlock would fail one: both lock the item before the person's accounts)."""
    trip = add_item(store.uow(), CatalogItem(id=0, name="Trip", points_cost=200, stock=100), store.clock)
    for n in range(12):
        person = employee(store, external_id=f"E-RACE-{n}")
        fund_wallet(store, person, 400)
        if n % 2:  # half of them hold a request for the same item already
            request_redemption(store.uow(), person.id, trip.id, f"before-{n}", POLICY, store.clock)
        outcomes = race_request_and_deactivation(store, person, trip.id, f"race-{n}")
        assert len(outcomes) == 2, outcomes  # neither failed otherwise
        with store.reader() as uow:
            left = [r for r in uow.redemptions.open_of(person.id) if r.state == RedemptionState.REQUESTED]
        assert left == [], f"round {n}: a request waits for an approver of someone inactive"
        assert balances(store, person) == {"allowance": 0, "wallet": 400, "held": 0}
    with store.reader() as uow:
        assert uow.catalog.get(trip.id).stock == 100  # every cancelled request back in stock
    assert verify_ledger(store.engine) == []
