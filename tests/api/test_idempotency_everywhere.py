"""Every endpoint that takes an Idempotency-Key: a repeat replays, another body is 422, one effect."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from storage.ledger.verify import verify_ledger
from storage.schema.core import CatalogItemRow, RedemptionRow, TransactionRow, WebhookSubscriptionRow
from storage.schema.scheduling import MilestoneRuleRow
from tests.api.callers import call
from tests.factories import employee, fund_wallet

GIFT = {"name": "Book voucher", "points_cost": 40, "kind": "gift_card", "requires_approval": True}


@dataclass
class Case:
    """One endpoint: how to prepare, what to send, another body, and how to count its effect."""

    prepare: Callable  # (store, hr) -> path
    body: dict
    other: dict
    effect: Callable  # (store) -> something that changes once per effect


def _count(row, *where):
    def effect(store):
        with store.engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(row).where(*where))

    return effect


def _wallet_holder(store, hr):
    fund_wallet(store, employee(store, external_id="E-1"), 100)
    return hr.post("/api/v1/catalog/items", json=GIFT).get_json()["id"]


def _with_items(hr, body: dict) -> dict:
    """Catalog items named "first" and "second" by their place in the catalog, as ids."""
    if body.get("item_id") not in ("first", "second"):
        return body
    ids = [item["id"] for item in hr.get("/api/v1/catalog/items").get_json()["items"]]
    return {**body, "item_id": ids[0 if body["item_id"] == "first" else 1]}


def _redemption(state: str):
    def prepare(store, hr):
        item = _wallet_holder(store, hr)
        rid = hr.post(
            "/api/v1/redemptions", key="setup-1", json={"employee_id": "E-1", "item_id": item}
        ).get_json()["id"]
        if state == "approved":
            assert hr.post(f"/api/v1/redemptions/{rid}/approve", key="setup-2", json={}).status_code == 200
        return f"/api/v1/redemptions/{rid}"

    return prepare


def _ledger_rows(store):
    return _count(TransactionRow)(store)


CASES = {
    "award": Case(
        lambda store, hr: employee(store, external_id="E-1") and "/api/v1/awards",
        {"employee_ids": ["E-1"], "points": 5, "reason": "Thanks"},
        {"employee_ids": ["E-1"], "points": 6, "reason": "Thanks"},
        _ledger_rows,
    ),
    "batch": Case(
        lambda store, hr: employee(store, external_id="E-1") and "/api/v1/awards/batch",
        {"reason": "Q3", "items": [{"employee_id": "E-1", "points": 5}]},
        {"reason": "Q4", "items": [{"employee_id": "E-1", "points": 5}]},
        _ledger_rows,
    ),
    "redeem": Case(
        lambda store, hr: _wallet_holder(store, hr) and "/api/v1/redemptions",
        {"employee_id": "E-1", "item_id": "first"},
        {"employee_id": "E-1", "item_id": "second"},
        _count(RedemptionRow),
    ),
    "approve": Case(
        lambda store, hr: _redemption("requested")(store, hr) + "/approve",
        {},
        {"reason": "other"},
        _ledger_rows,
    ),
    "reject": Case(
        lambda store, hr: _redemption("requested")(store, hr) + "/reject",
        {"reason": "Out of stock"},
        {"reason": "Changed mind"},
        _ledger_rows,
    ),
    "cancel": Case(
        lambda store, hr: _redemption("requested")(store, hr) + "/cancel",
        {},
        {"reason": "other"},
        _ledger_rows,
    ),
    "fulfill": Case(
        lambda store, hr: _redemption("approved")(store, hr) + "/fulfill",
        {"fulfilment": "CODE-1234"},
        {"fulfilment": "CODE-9999"},
        _ledger_rows,
    ),
    "catalog item": Case(
        lambda store, hr: "/api/v1/catalog/items", GIFT, {**GIFT, "points_cost": 41}, _count(CatalogItemRow)
    ),
    "webhook": Case(
        lambda store, hr: "/api/v1/webhooks",
        {"url": "https://hooks.example/a", "events": ["award.issued"]},
        {"url": "https://hooks.example/b", "events": ["award.issued"]},
        _count(WebhookSubscriptionRow),
    ),
    "milestone rule": Case(
        lambda store, hr: "/api/v1/milestone-rules",
        {"code": "ten", "kind": "birthday", "name": "Ten", "points": 5},
        {"code": "ten", "kind": "birthday", "name": "Ten", "points": 6},
        _count(MilestoneRuleRow),
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_a_repeat_replays_the_first_answer_and_has_no_second_effect(store, hr, name):
    case = CASES[name]
    path = case.prepare(store, hr)
    first = hr.post(path, key="k-1", json=_with_items(hr, case.body))
    assert 200 <= first.status_code < 300, first.get_json()
    effect = case.effect(store)
    again = hr.post(path, key="k-1", json=_with_items(hr, case.body))
    assert again.status_code == first.status_code
    assert again.get_json() == first.get_json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert case.effect(store) == effect
    assert verify_ledger(store.engine) == []


@pytest.mark.parametrize("name", CASES)
def test_the_same_key_with_another_body_is_422_and_changes_nothing(store, hr, name):
    case = CASES[name]
    path = case.prepare(store, hr)
    if name == "redeem":  # a second item, so the other body is valid on its own
        hr.post("/api/v1/catalog/items", json={**GIFT, "name": "Another"})
    first = hr.post(path, key="k-1", json=_with_items(hr, case.body))
    assert 200 <= first.status_code < 300, first.get_json()
    effect = case.effect(store)
    other = hr.post(path, key="k-1", json=_with_items(hr, case.other))
    assert other.status_code == 422
    assert other.get_json()["code"] == "idempotency_key_reused"
    assert case.effect(store) == effect
    assert verify_ledger(store.engine) == []


@pytest.mark.parametrize("name", ["batch", "redeem", "approve", "fulfill", "catalog item", "webhook"])
def test_the_same_key_sent_concurrently_has_one_effect(store, hr, live_server, name):
    case = CASES[name]
    path = case.prepare(store, hr)
    body = _with_items(hr, case.body)
    before = case.effect(store)

    def send(_):
        return call(live_server, "POST", path, hr.token, body, {"Idempotency-Key": "race"})

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = [status for status, _, _ in pool.map(send, range(8))]
    assert set(statuses) <= {200, 201, 409}, statuses  # 409: the twin is still in progress
    assert any(200 <= status < 300 for status in statuses)
    after = case.effect(store)
    assert after == before + 1, (before, after)
    assert verify_ledger(store.engine) == []
