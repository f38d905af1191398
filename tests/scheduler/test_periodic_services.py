"""Allowance periods, approval reminders/escalation/expiry and the weekly digest, each once."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from rewards.model import CatalogItem, RedemptionState
from rewards.periods import period_key
from rewards.policy import AllowancePolicy, RecognitionPolicy, RedemptionPolicy
from rewards.services.allowance_periods import roll_allowance_periods
from rewards.services.approval_timers import ApprovalTimers, chase_approvals
from rewards.services.catalog import add_item
from rewards.services.digest import DigestOptions, post_weekly_digest
from rewards.services.recognition import GiveRecognition, give_recognition
from rewards.services.redemptions import request_redemption
from storage.ledger.verify import verify_ledger
from storage.scheduling.unit_of_work import scheduler_reader, scheduler_uow
from storage.schema.core import AccountRow, OutboxRow, PostingRow
from tests.factories import balances, employee, fund_wallet, give_allowance


def events(store, topic):
    with store.reader() as uow:
        return [
            json.loads(p)["data"]
            for p in uow.session.scalars(
                select(OutboxRow.payload)
                .where(OutboxRow.topic == topic, OutboxRow.channel == "slack")
                .order_by(OutboxRow.id)
            )
        ]


@pytest.mark.parametrize(
    ("day", "period", "label"),
    [
        (date(2026, 11, 26), "monthly", "2026-11"),
        (date(2026, 11, 26), "weekly", "2026-W48"),
        (date(2026, 11, 26), "quarterly", "2026-Q4"),
        (date(2027, 1, 1), "weekly", "2026-W53"),
    ],
)
def test_period_labels(day, period, label):
    assert period_key(day, period) == label


def roll(store, period="monthly", points=100):
    return roll_allowance_periods(
        scheduler_uow(store),
        AllowancePolicy(points, period),
        store.clock,
        "Asia/Kolkata",
        scheduler_reader(store),
    )


def test_at_each_period_boundary_leftover_expires_and_the_new_allowance_arrives_once(store, clock):
    clock.set(datetime(2026, 3, 31, 12, 0, tzinfo=UTC))
    giver, friend = employee(store), employee(store)
    assert roll(store).rolled == 2
    give_recognition(
        store.uow(),
        GiveRecognition(giver.id, [friend.id], 30, "great demo", "k1"),
        RecognitionPolicy(),
        clock,
    )
    assert roll(store).rolled == 0
    clock.set(datetime(2026, 3, 31, 18, 25, tzinfo=UTC))  # 23:55 in Kolkata: still March
    assert roll(store).rolled == 0
    clock.set(datetime(2026, 3, 31, 18, 35, tzinfo=UTC))  # 00:05 on 1 April in Kolkata
    assert roll(store).rolled == 2
    assert roll(store).rolled == 0
    assert balances(store, giver)["allowance"] == 100
    with store.reader() as uow:  # system balances are not cached: sum the postings
        moved = uow.session.scalar(
            select(func.sum(PostingRow.amount)).join(AccountRow).where(AccountRow.code == "system:expired")
        )
    assert moved == 70 + 100  # the giver's leftover and the friend's untouched allowance
    assert verify_ledger(store.engine) == []


def approval_setup(store, clock):
    boss, hr = employee(store), employee(store)
    person = employee(store, manager_id=boss.id)
    fund_wallet(store, person, 1000)
    item = add_item(store.uow(), CatalogItem(0, "Headphones", 400, requires_approval=True), clock)
    policy = RedemptionPolicy(hr_approver_ids=(hr.id,))
    redemption = request_redemption(store.uow(), person.id, item.id, "r-1", policy, clock)
    return person, boss, hr, redemption, policy


def test_waiting_redemptions_are_reminded_escalated_then_expired_each_once(store, clock):
    person, boss, hr, redemption, policy = approval_setup(store, clock)
    start = clock.now()

    def chase(after):
        clock.set(start + after)
        return chase_approvals(store.uow(), policy, ApprovalTimers(), clock)

    assert chase(timedelta(hours=47)).reminded == 0
    assert chase(timedelta(hours=49)).reminded == 1
    assert chase(timedelta(hours=50)).reminded == 0
    assert [e["approver_ids"] for e in events(store, "redemption.reminder")] == [[boss.id]]
    assert chase(timedelta(days=5, hours=1)).escalated == 1
    assert chase(timedelta(days=6)).escalated == 0
    assert [e["approver_ids"] for e in events(store, "redemption.escalated")] == [[hr.id]]
    assert balances(store, person)["held"] == 400
    assert chase(timedelta(days=14, hours=1)).expired == 1
    assert chase(timedelta(days=15)).expired == 0
    assert balances(store, person) == {"allowance": 0, "wallet": 1000, "held": 0}
    with store.reader() as uow:
        assert uow.redemptions.get(redemption.id).state == RedemptionState.EXPIRED
        assert uow.redemptions.get(redemption.id).reminded_at is not None
    assert [e["redemption_id"] for e in events(store, "redemption.expired")] == [redemption.id]
    assert verify_ledger(store.engine) == []


def test_a_scheduler_back_after_six_days_reminds_and_escalates_once(store, clock):
    _, _, _, _, policy = approval_setup(store, clock)
    clock.advance(days=6)
    report = chase_approvals(store.uow(), policy, ApprovalTimers(), clock)
    assert (report.reminded, report.escalated, report.expired) == (1, 1, 0)


def test_weekly_digest_summarises_last_week_once(store, clock):
    clock.set(datetime(2026, 3, 4, 12, 0, tzinfo=UTC))  # a Wednesday
    ana, ben, cy = employee(store), employee(store), employee(store)
    give_allowance(store, ana, 100)
    for n, (who, value) in enumerate([(ben, "teamwork"), (cy, "teamwork"), (ben, "ownership")]):
        give_recognition(
            store.uow(),
            GiveRecognition(ana.id, [who.id], 10, "thanks!", f"d{n}", value=value),
            RecognitionPolicy(),
            clock,
        )
    options = DigestOptions(channel="C0KUDOS", org_timezone="UTC")
    clock.set(datetime(2026, 3, 9, 8, 59, tzinfo=UTC))  # Monday, before 9:00
    assert post_weekly_digest(scheduler_uow(store), options, clock) is True  # the week before
    clock.set(datetime(2026, 3, 9, 9, 1, tzinfo=UTC))
    assert post_weekly_digest(scheduler_uow(store), options, clock) is True
    assert post_weekly_digest(scheduler_uow(store), options, clock) is False
    clock.set(datetime(2026, 3, 11, 9, 1, tzinfo=UTC))
    assert post_weekly_digest(scheduler_uow(store), options, clock) is False
    digest = events(store, "digest.weekly")[-1]
    assert digest["week"] == "2026-W10" and digest["channel"] == "C0KUDOS"
    assert digest["recognitions"] == 3 and digest["points"] == 30
    assert digest["top_values"][0] == ["teamwork", 2]
    assert digest["top_recipient_ids"][0] == ben.id
