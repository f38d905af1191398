"""Giving recognition: points move from the giver's allowance to each recipient, by the rules."""

from __future__ import annotations

import pytest

from rewards import errors
from rewards.policy import RecognitionPolicy
from rewards.services.recognition import GiveRecognition, give_recognition
from storage.ledger.verify import verify_ledger
from tests.factories import balances, employee, give_allowance

POLICY = RecognitionPolicy(max_points=50, daily_cap_per_recipient=60)


def give(store, giver, recipients, points=10, reason="shipping the release", value=None, key="k-1"):
    return give_recognition(
        store.uow(),
        GiveRecognition(
            giver_id=giver.id,
            recipient_ids=[r.id for r in recipients],
            points=points,
            reason=reason,
            value=value,
            idempotency_key=key,
        ),
        POLICY,
        store.clock,
    )


def test_each_recipient_gets_the_points_and_the_giver_pays_the_total(store):
    ana, ben, cy = employee(store), employee(store), employee(store)
    give_allowance(store, ana, 100)

    recognition = give(store, ana, [ben, cy], points=20, value="#Ownership")

    assert recognition.value == "ownership"
    assert balances(store, ana)["allowance"] == 60
    assert balances(store, ben)["wallet"] == 20
    assert balances(store, cy)["wallet"] == 20
    assert verify_ledger(store.engine) == []


@pytest.mark.parametrize(
    ("points", "error"),
    [
        (0, errors.InvalidPoints),
        (-5, errors.InvalidPoints),
        (51, errors.InvalidPoints),
        (2.5, errors.InvalidPoints),
        ("10", errors.InvalidPoints),
        (True, errors.InvalidPoints),
    ],
)
def test_points_must_be_whole_numbers_within_limits(store, points, error):
    ana, ben = employee(store), employee(store)
    give_allowance(store, ana, 100)
    with pytest.raises(error):
        give(store, ana, [ben], points=points)
    assert balances(store, ana)["allowance"] == 100


def test_refusals_change_nothing(store):
    ana, ben = employee(store), employee(store)
    retired = employee(store, status="inactive")
    give_allowance(store, ana, 30)
    cases = [
        (dict(recipients=[ana]), errors.SelfRecognition),
        (dict(recipients=[ben], points=40), errors.InsufficientPoints),
        (dict(recipients=[ben], reason="  "), errors.ReasonRequired),
        (dict(recipients=[ben], value="synergy"), errors.UnknownValue),
        (dict(recipients=[retired]), errors.InactiveEmployee),
        (dict(recipients=[]), errors.NoRecipients),
    ]
    for n, (kwargs, error) in enumerate(cases):
        with pytest.raises(error) as caught:
            give(store, ana, key=f"bad-{n}", **kwargs)
        assert caught.value.message
    assert balances(store, ana)["allowance"] == 30
    assert balances(store, ben)["wallet"] == 0
    assert verify_ledger(store.engine) == []


def test_daily_cap_per_recipient_resets_on_the_givers_next_local_day(store, clock):
    ana, ben = employee(store, timezone="Asia/Kolkata"), employee(store)
    give_allowance(store, ana, 200)
    give(store, ana, [ben], points=50, key="a")
    with pytest.raises(errors.DailyCapExceeded) as caught:
        give(store, ana, [ben], points=20, key="b")
    assert "10 left" in caught.value.message
    give(store, ana, [ben], points=10, key="c")
    clock.advance(hours=14)  # 10:00 UTC + 14h = past midnight in Kolkata (UTC+5:30)
    give(store, ana, [ben], points=50, key="d")
    assert balances(store, ben)["wallet"] == 110


def test_the_same_key_gives_once_and_replays_the_first_result(store):
    ana, ben = employee(store), employee(store)
    give_allowance(store, ana, 100)
    first = give(store, ana, [ben], key="same")
    again = give(store, ana, [ben], key="same")
    assert again.id == first.id
    assert balances(store, ben)["wallet"] == 10
    with pytest.raises(errors.IdempotencyConflict):
        give(store, ana, [ben], points=11, key="same")
