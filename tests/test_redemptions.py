"""Redemptions: holds, approvals, refunds, stock, and exactly one decision."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from rewards import errors
from rewards.model import CatalogItem, RedemptionState
from rewards.policy import RedemptionPolicy
from rewards.services.catalog import add_item, update_item
from rewards.services.redemptions import decide_redemption, request_redemption
from storage.ledger.verify import verify_ledger
from tests.factories import balances, employee, fund_wallet


def policy(*hr: str) -> RedemptionPolicy:
    return RedemptionPolicy(approval_threshold=500, hr_approver_ids=tuple(hr))


def item(store, cost=100, **kw) -> CatalogItem:
    return add_item(store.uow(), CatalogItem(id=0, name="Day off", points_cost=cost, **kw), store.clock)


def decide(store, redemption, action, key, actor=None, pol=None, **kw):
    return decide_redemption(
        store.uow(), redemption.id, action, key, store.clock, pol or policy(), actor_id=actor, **kw
    )


@pytest.fixture
def team(store):
    boss = employee(store)
    worker = employee(store, manager_id=boss.id)
    fund_wallet(store, worker, 1000)
    return boss, worker


def test_an_item_that_needs_approval_holds_points_until_the_manager_approves(store, team):
    boss, worker = team
    day_off = item(store, requires_approval=True)
    pending = request_redemption(store.uow(), worker.id, day_off.id, "r1", policy(), store.clock)
    assert pending.state == RedemptionState.REQUESTED
    assert balances(store, worker) == {"allowance": 0, "wallet": 900, "held": 100}
    assert verify_ledger(store.engine) == []

    approved = decide(store, pending, "approve", "a1", actor=boss.id)
    assert approved.state == RedemptionState.APPROVED and approved.decided_by == boss.id
    assert balances(store, worker) == {"allowance": 0, "wallet": 900, "held": 0}
    fulfilled = decide(store, approved, "fulfill", "f1", fulfilment="CODE-XYZ-123")
    assert fulfilled.state == RedemptionState.FULFILLED
    with store.reader() as uow:
        assert uow.redemptions.get(pending.id).fulfilment == "CODE-XYZ-123"
    assert verify_ledger(store.engine) == []


def test_rejection_needs_a_reason_and_returns_the_points(store, team):
    boss, worker = team
    pending = request_redemption(
        store.uow(), worker.id, item(store, cost=600).id, "r1", policy(), store.clock
    )  # above the threshold: needs approval
    with pytest.raises(errors.ReasonRequired):
        decide(store, pending, "reject", "x1", actor=boss.id)
    rejected = decide(store, pending, "reject", "x2", actor=boss.id, reason="budget is spent")
    assert rejected.state == RedemptionState.REJECTED
    assert balances(store, worker) == {"allowance": 0, "wallet": 1000, "held": 0}
    with pytest.raises(errors.IllegalTransition) as caught:
        decide(store, rejected, "approve", "a9", actor=boss.id)
    assert caught.value.details["state"] == "rejected"
    assert verify_ledger(store.engine) == []


def test_only_a_designated_approver_may_decide(store, team):
    boss, worker = team
    stranger, hr = employee(store), employee(store)
    pending = request_redemption(
        store.uow(), worker.id, item(store, requires_approval=True).id, "r1", policy(hr.id), store.clock
    )
    with pytest.raises(errors.NotAnApprover):
        decide(store, pending, "approve", "a1", actor=stranger.id, pol=policy(hr.id))
    with pytest.raises(errors.NotAnApprover):
        decide(store, pending, "approve", "a2", actor=worker.id, pol=policy(hr.id))
    assert decide(store, pending, "approve", "a3", actor=hr.id, pol=policy(hr.id)).state == "approved"


def test_items_without_approval_complete_at_once_and_stock_is_kept(store, team):
    _, worker = team
    mug = item(store, cost=50, stock=1)
    done = request_redemption(store.uow(), worker.id, mug.id, "r1", policy(), store.clock)
    assert done.state == RedemptionState.APPROVED
    with pytest.raises(errors.OutOfStock):
        request_redemption(store.uow(), worker.id, mug.id, "r2", policy(), store.clock)
    decide(store, done, "cancel", "c1", actor=worker.id)
    assert balances(store, worker)["wallet"] == 1000  # refunded
    again = request_redemption(store.uow(), worker.id, mug.id, "r3", policy(), store.clock)
    assert again.state == RedemptionState.APPROVED  # the cancelled one went back to stock
    update_item(store.uow(), mug.id, {"active": False}, store.clock)
    with pytest.raises(errors.ItemUnavailable):
        request_redemption(store.uow(), worker.id, mug.id, "r4", policy(), store.clock)
    assert verify_ledger(store.engine) == []


def test_simultaneous_approve_and_reject_end_in_exactly_one_decision(store, team):
    boss, worker = team
    pending = request_redemption(
        store.uow(), worker.id, item(store, requires_approval=True).id, "r1", policy(), store.clock
    )
    start = threading.Barrier(10)

    def click(n: int) -> str:
        start.wait()
        action = "approve" if n % 2 else "reject"
        try:  # each click a distinct key, as two different buttons or two approvers
            decide(store, pending, action, f"click-{n}", actor=boss.id, reason="no")
            return action
        except errors.IllegalTransition:
            return "refused"

    with ThreadPoolExecutor(10) as pool:
        outcomes = list(pool.map(click, range(10)))
    assert outcomes.count("refused") == 9
    with store.reader() as uow:
        final = uow.redemptions.get(pending.id)
    winner = next(o for o in outcomes if o != "refused")
    assert final.state.value == {"approve": "approved", "reject": "rejected"}[winner]
    assert verify_ledger(store.engine) == []


def test_a_double_click_replays_the_first_decision(store, team):
    boss, worker = team
    pending = request_redemption(
        store.uow(), worker.id, item(store, requires_approval=True).id, "r1", policy(), store.clock
    )
    first = decide(store, pending, "approve", "msg-ts:approve", actor=boss.id)
    second = decide(store, pending, "approve", "msg-ts:approve", actor=boss.id)
    assert first.state == second.state == RedemptionState.APPROVED
    assert balances(store, worker)["held"] == 0


def test_expiry_returns_held_points(store, team):
    _, worker = team
    pending = request_redemption(
        store.uow(), worker.id, item(store, requires_approval=True).id, "r1", policy(), store.clock
    )
    expired = decide(store, pending, "expire", "e1")
    assert expired.state == RedemptionState.EXPIRED
    assert balances(store, worker) == {"allowance": 0, "wallet": 1000, "held": 0}


def test_cannot_redeem_more_than_the_wallet_holds(store):
    poor = employee(store)
    fund_wallet(store, poor, 10)
    with pytest.raises(errors.InsufficientPoints) as caught:
        request_redemption(store.uow(), poor.id, item(store, cost=11).id, "r1", policy(), store.clock)
    assert "costs 11 points; you have 10" in caught.value.message
