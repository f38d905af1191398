"""Services behind the Slack adapter: meeting chat users, reaction kudos, preferences, periods."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from rewards import errors
from rewards.periods import next_period_start, period_key
from rewards.policy import RecognitionPolicy
from rewards.services.people import ChatProfile, meet_chat_user
from rewards.services.preferences import set_celebration
from rewards.services.reactions import React, give_reaction_kudos, reverse_reaction_kudos
from storage.ledger.verify import verify_ledger
from storage.recognition.reactions import SqlReactionLog
from tests.factories import balances, employee, give_allowance

POLICY = RecognitionPolicy(reaction_points=2, reaction_daily_cap=4)


def test_a_chat_user_is_linked_by_email_or_created(store):
    hr = employee(store, slack_user_id=None, email="Ana@Example.com")
    linked, created = meet_chat_user(store.uow(), ChatProfile("UANA", email="ana@example.com"), store.clock)
    assert (linked.id, created, linked.slack_user_id) == (hr.id, False, "UANA")
    again, created_again = meet_chat_user(store.uow(), ChatProfile("UANA"), store.clock)
    assert again.id == hr.id and not created_again
    new, created = meet_chat_user(
        store.uow(), ChatProfile("UNEW", display_name="New", deleted=True), store.clock
    )
    assert created and not new.is_active and new.display_name == "New"


def test_first_sight_in_slack_grants_this_periods_allowance_once(slack, store, fake):
    slack.command("UANA", "balance")
    slack.command("UANA", "balance")
    with store.reader() as uow:
        ana = uow.employees.get_by_slack_id("UANA")
    assert balances(store, ana)["allowance"] == 100
    assert len(fake.calls_to("users.info")) == 1


def react(store, giver, author, ref, key):
    return give_reaction_kudos(
        store.uow(), SqlReactionLog.of, React(giver.id, author.id, ref, key, "clap"), POLICY, store.clock
    )


def test_reaction_kudos_rules(store, clock):
    ana, ben = employee(store), employee(store)
    give_allowance(store, ana, 10)
    react(store, ana, ben, "C:1:clap", "e1")
    assert react(store, ana, ben, "C:1:clap", "e2") is None  # same reaction, other event id
    react(store, ana, ben, "C:2:clap", "e3")
    with pytest.raises(errors.DailyCapExceeded):
        react(store, ana, ben, "C:3:clap", "e4")
    with pytest.raises(errors.SelfRecognition):
        react(store, ana, ana, "C:4:clap", "e5")
    assert balances(store, ben)["wallet"] == 4
    clock.advance(days=1)
    react(store, ana, ben, "C:3:clap", "e6")
    assert balances(store, ana)["allowance"] == 4


def test_a_reaction_is_reversed_once(store):
    ana, ben = employee(store), employee(store)
    give_allowance(store, ana, 10)
    react(store, ana, ben, "C:1:clap", "e1")

    def reverse(key):
        return reverse_reaction_kudos(
            store.uow(),
            SqlReactionLog.of,
            ana.id,
            "C:1:clap",
            key,
            timedelta(minutes=5),
            store.clock,
            timezone=POLICY.timezone,
        )

    assert reverse("r1")
    assert reverse("r1")  # the same removal event again: replayed, not reversed twice
    assert not reverse("r2")  # nothing left to reverse
    assert balances(store, ben)["wallet"] == 0 and balances(store, ana)["allowance"] == 10
    assert verify_ledger(store.engine) == []


def test_celebration_preference(store):
    ana = employee(store)
    assert set_celebration(store.uow(), ana.id, "none", store.clock).celebration.value == "none"
    with pytest.raises(errors.DomainError):
        set_celebration(store.uow(), ana.id, "loud", store.clock)


@pytest.mark.parametrize(
    ("day", "period", "key", "renews"),
    [
        (date(2026, 11, 26), "monthly", "2026-11", date(2026, 12, 1)),
        (date(2026, 12, 31), "monthly", "2026-12", date(2027, 1, 1)),
        (date(2026, 11, 26), "quarterly", "2026-Q4", date(2027, 1, 1)),
        (date(2026, 11, 26), "weekly", "2026-W48", date(2026, 11, 30)),
        (date(2027, 1, 1), "weekly", "2026-W53", date(2027, 1, 4)),
    ],
)
def test_period_keys_and_renewal(day, period, key, renews):
    assert period_key(day, period) == key
    assert next_period_start(day, period) == renews


def test_a_user_first_seen_by_concurrent_requests_becomes_one_employee(web, store):
    import threading

    from sqlalchemy import func, select

    from bot.simulator.signed_requests import SlackDriver, flask_transport
    from storage.schema.core import EmployeeRow
    from tests.slack.helpers import SECRET

    go = threading.Barrier(4)
    replies = []

    def ask():
        driver = SlackDriver(flask_transport(web.test_client()), SECRET)
        go.wait()
        replies.append(driver.command("UDEE", "balance"))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all("100 points* left to give" in r.json()["text"] for r in replies)
    with store.reader() as uow:
        assert uow.session.scalar(select(func.count()).select_from(EmployeeRow)) == 1
    assert verify_ledger(store.engine) == []
