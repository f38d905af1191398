"""Who decides a redemption: never its owner, never someone deactivated; the next in line instead."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from rewards import errors
from rewards.model import CatalogItem, EmployeeStatus, RedemptionState
from rewards.policy import RedemptionPolicy
from rewards.services.approval_timers import ApprovalTimers, chase_approvals
from rewards.services.catalog import add_item
from rewards.services.employees import upsert_employee
from rewards.services.redemptions import approvers_for, decide_redemption, request_redemption, waiting_for
from storage.ledger.verify import verify_ledger
from storage.schema.core import OutboxRow
from tests.factories import employee, fund_wallet


def policy(*hr: str) -> RedemptionPolicy:
    return RedemptionPolicy(approval_threshold=500, hr_approver_ids=tuple(hr))


def ask(store, who, pol, key="r1"):
    trip = add_item(
        store.uow(), CatalogItem(id=0, name="Trip", points_cost=100, requires_approval=True), store.clock
    )
    fund_wallet(store, who, 100)
    return request_redemption(store.uow(), who.id, trip.id, key, pol, store.clock)


def decide(store, redemption, action, key, actor, pol, **kw):
    return decide_redemption(store.uow(), redemption.id, action, key, store.clock, pol, actor_id=actor, **kw)


def deactivate(store, person):
    upsert_employee(store.uow(), person.external_id, {"status": EmployeeStatus.INACTIVE}, store.clock)


def test_an_hr_approver_cannot_approve_or_reject_their_own_redemption(store):
    hr, other_hr = employee(store), employee(store)
    pol = policy(hr.id, other_hr.id)
    pending = ask(store, hr, pol)
    with pytest.raises(errors.NotAnApprover, match="their own redemption"):
        decide(store, pending, "approve", "a1", hr.id, pol)
    with pytest.raises(errors.NotAnApprover, match="their own redemption"):
        decide(store, pending, "reject", "x1", hr.id, pol, reason="changed my mind")
    with store.reader() as uow:
        assert uow.redemptions.get(pending.id).state == RedemptionState.REQUESTED
        assert approvers_for(uow.employees, hr, pol) == [other_hr.id]
    assert decide(store, pending, "approve", "a2", other_hr.id, pol).state == RedemptionState.APPROVED
    assert verify_ledger(store.engine) == []


def test_a_manager_who_is_also_their_own_manager_cannot_approve(store):
    boss = employee(store)
    upsert_employee(store.uow(), boss.external_id, {"manager_id": boss.id}, store.clock)
    pending = ask(store, boss, policy())
    with pytest.raises(errors.NotAnApprover):
        decide(store, pending, "approve", "a1", boss.id, policy())


def test_a_deactivated_manager_decides_nothing_and_their_manager_is_next_in_line(store):
    top = employee(store)
    middle = employee(store, manager_id=top.id)
    worker = employee(store, manager_id=middle.id)
    hr = employee(store)
    pol = policy(hr.id)
    pending = ask(store, worker, pol)
    deactivate(store, middle)
    with pytest.raises(errors.NotAnApprover):
        decide(store, pending, "approve", "a1", middle.id, pol)
    with store.reader() as uow:
        assert approvers_for(uow.employees, worker, pol) == [top.id]
    assert decide(store, pending, "approve", "a2", top.id, pol).state == RedemptionState.APPROVED


def test_without_an_active_manager_in_line_the_active_hr_approvers_decide(store):
    boss = employee(store)
    worker = employee(store, manager_id=boss.id)
    gone_hr, hr = employee(store), employee(store)
    pol = policy(gone_hr.id, hr.id)
    deactivate(store, boss)
    deactivate(store, gone_hr)
    pending = ask(store, worker, pol)
    with store.reader() as uow:
        assert approvers_for(uow.employees, worker, pol) == [hr.id]
    with pytest.raises(errors.NotAnApprover):
        decide(store, pending, "reject", "x1", gone_hr.id, pol, reason="no")
    assert decide(store, pending, "reject", "x2", hr.id, pol, reason="no").state == RedemptionState.REJECTED


def test_reminders_and_escalations_go_to_whoever_is_next_in_line(store, clock):
    top = employee(store)
    middle = employee(store, manager_id=top.id)
    hr = employee(store, manager_id=middle.id)
    gone_hr = employee(store)
    pol = policy(hr.id, gone_hr.id)
    pending = ask(store, hr, pol)
    deactivate(store, middle)
    deactivate(store, gone_hr)
    clock.advance(days=6)
    report = chase_approvals(store.uow(), pol, ApprovalTimers(), store.clock)
    assert (report.reminded, report.escalated) == (1, 1)
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(OutboxRow.topic, OutboxRow.payload).where(
                OutboxRow.topic.in_(["redemption.reminder", "redemption.escalated"]),
                OutboxRow.channel == "slack",
            )
        ).all()
    approvers = {topic: json.loads(payload)["data"]["approver_ids"] for topic, payload in rows}
    assert approvers == {"redemption.reminder": [top.id], "redemption.escalated": []}
    assert pending.state == RedemptionState.REQUESTED


def test_the_requests_waiting_for_someone_follow_the_line_and_never_include_their_own(store):
    hr, boss = employee(store), employee(store)
    lead = employee(store, manager_id=boss.id)
    ana = employee(store, manager_id=lead.id)
    ben = employee(store, manager_id=boss.id)
    pol = policy(hr.id)
    theirs = [ask(store, who, pol, key=f"w-{i}") for i, who in enumerate((ana, ben, hr))]
    deactivate(store, lead)  # ana's line now passes up to boss

    def waiting(person):
        return [(r.id, owner.id) for r, owner in waiting_for(store.reader(), person.id, pol)]

    assert waiting(boss) == [(theirs[0].id, ana.id), (theirs[1].id, ben.id)]
    assert waiting(hr) == [(theirs[0].id, ana.id), (theirs[1].id, ben.id)]  # not their own
    assert waiting(lead) == []  # deactivated: decides nothing
    assert waiting(ana) == []
