"""The faster give keeps its results: fan-out to the right webhooks, caps and overdrafts per recipient."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from rewards import errors
from rewards.policy import RecognitionPolicy
from rewards.services.recognition import GiveRecognition, give_recognition
from storage.delivery import webhooks
from storage.ledger.verify import verify_ledger
from storage.schema.core import OutboxRow
from tests.factories import balances, employee, give_allowance

POLICY = RecognitionPolicy(max_points=50, daily_cap_per_recipient=30)


def give(store, giver, recipients, points, key):
    return give_recognition(
        store.uow(),
        GiveRecognition(
            giver_id=giver.id,
            recipient_ids=[r.id for r in recipients],
            points=points,
            reason="shipping the release",
            idempotency_key=key,
        ),
        POLICY,
        store.clock,
    )


def outbox_targets(store) -> list[tuple[str, int | None]]:
    with store.reader() as uow:
        rows = uow.session.execute(
            select(OutboxRow.channel, OutboxRow.subscription_id).where(
                OutboxRow.topic == "recognition.created"
            )
        )
        return sorted((tuple(r) for r in rows), key=lambda r: (r[0], r[1] or 0))


def test_a_recognition_reaches_slack_and_exactly_the_webhooks_subscribed_to_it(store):
    everything, _ = webhooks.create(store, "https://hr.example/a", ["*"], None)
    this_one, _ = webhooks.create(
        store, "https://hr.example/b", ["redemption.requested", "recognition.created"], None
    )
    webhooks.create(store, "https://hr.example/c", ["redemption.requested"], None)
    webhooks.create(store, "https://hr.example/d", ["Recognition.Created"], None)
    webhooks.create(store, "https://hr.example/e", ["recognition"], None)
    gone, _ = webhooks.create(store, "https://hr.example/f", ["*"], None)
    webhooks.deactivate(store, gone.id, None)
    ana, ben = employee(store), employee(store)
    give_allowance(store, ana, 100)

    give(store, ana, [ben], 5, "fan-out")

    assert outbox_targets(store) == [("slack", None), ("webhook", everything.id), ("webhook", this_one.id)]


def test_several_recipients_each_get_their_points_in_one_give(store):
    ana, ben, cy, di = employee(store), employee(store), employee(store), employee(store)
    give_allowance(store, ana, 100)

    give(store, ana, [ben, cy, di], 10, "three")

    assert balances(store, ana)["allowance"] == 70
    assert [balances(store, e)["wallet"] for e in (ben, cy, di)] == [10, 10, 10]
    assert verify_ledger(store.engine) == []


def test_the_daily_cap_names_the_recipient_who_would_pass_it(store):
    ana, ben, cy = employee(store), employee(store), employee(store)
    give_allowance(store, ana, 100)
    give(store, ana, [cy], 25, "first")

    with pytest.raises(errors.DailyCapExceeded) as refused:
        give(store, ana, [ben, cy], 10, "second")

    assert refused.value.details["employee_id"] == cy.id
    assert balances(store, ben)["wallet"] == 0
    assert balances(store, cy)["wallet"] == 25


def test_an_unknown_recipient_among_known_ones_changes_nothing(store):
    ana, ben = employee(store), employee(store)
    give_allowance(store, ana, 100)
    with pytest.raises(errors.EmployeeNotFound) as refused:
        give_recognition(
            store.uow(),
            GiveRecognition(
                giver_id=ana.id,
                recipient_ids=[ben.id, "no-such-person"],
                points=5,
                reason="shipping the release",
                idempotency_key="unknown",
            ),
            POLICY,
            store.clock,
        )
    assert refused.value.details["employee_id"] == "no-such-person"
    assert balances(store, ana)["allowance"] == 100
    assert balances(store, ben)["wallet"] == 0


def test_employees_fetched_together_read_like_employees_fetched_one_by_one(store):
    from datetime import date

    ana = employee(store, email="ana@example.com", display_name="Ana", birth_date=date(1990, 2, 3))
    ben = employee(store)

    with store.reader() as uow:
        together = uow.employees.get_many([ana.id, ben.id, "no-such-person"])
        one_by_one = {e.id: uow.employees.get(e.id) for e in (ana, ben)}

    assert together == one_by_one
    assert together[ana.id].email == "ana@example.com"
    assert together[ana.id].birth_date == date(1990, 2, 3)
    assert together[ben.id].phone is None
