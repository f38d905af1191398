"""Delivery through the outbox to a fake Slack: Retry-After honoured, dead letters shown."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from bot.outbound.messages import all_renderers
from bot.outbound.notifier import RenderContext, SlackNotifier
from bot.simulator.fake_slack import FakeSlack
from plaudit.cli import main
from scheduler.outbox import RetryPolicy, deliver_due
from storage.encryption.ciphers import generate_key
from storage.schema.core import OutboxAttemptRow, OutboxRow
from tests.factories import employee
from tests.scheduler.helpers import sweep


@pytest.fixture
def fake_slack():
    with FakeSlack() as fake:
        yield fake


def slack(store, fake) -> dict:
    client = WebClient(token="xoxb-test", base_url=fake.url)
    return {"slack": SlackNotifier(client, RenderContext(store, {}), all_renderers())}


def anniversary_today(store, clock):
    clock.set(datetime(2026, 6, 15, 10, 0, tzinfo=UTC))
    manager = employee(store, birth_date=None, hire_date=None)
    person = employee(store, hire_date=date(2021, 6, 15), birth_date=None, manager_id=manager.id)
    sweep(store, channel="C0CELEBRATE")
    return person, manager


def texts_to(fake, channel):
    return [c.args["text"] for c in fake.calls_to("chat.postMessage") if c.args["channel"] == channel]


def test_429_with_retry_after_then_200_delivers_each_message_once(store, clock, fake_slack):
    person, manager = anniversary_today(store, clock)
    fake_slack.fail_next("chat.postMessage", 429, headers={"Retry-After": "2"})
    policy = RetryPolicy(base_seconds=1)

    assert deliver_due(store, slack(store, fake_slack), policy=policy) == 0
    clock.advance(seconds=1)  # the backoff alone would allow a retry; Retry-After does not
    assert deliver_due(store, slack(store, fake_slack), policy=policy) == 0
    clock.advance(seconds=1)
    assert deliver_due(store, slack(store, fake_slack), policy=policy) == 1
    clock.advance(hours=1)
    assert deliver_due(store, slack(store, fake_slack), policy=policy) == 0

    celebration = texts_to(fake_slack, "C0CELEBRATE")
    assert len(celebration) == 2  # the refused attempt and the one that arrived
    assert "5-year work anniversary" in celebration[1] and person.slack_user_id in celebration[1]
    assert len(texts_to(fake_slack, person.slack_user_id)) == 1
    assert len(texts_to(fake_slack, manager.slack_user_id)) == 1
    with store.reader() as uow:
        attempts = uow.session.execute(
            select(OutboxAttemptRow.status_code, OutboxAttemptRow.succeeded).order_by(OutboxAttemptRow.id)
        ).all()
    assert [tuple(a) for a in attempts] == [(429, False), (200, True)]


def test_private_celebration_skips_the_channel_post(store, clock, fake_slack):
    clock.set(datetime(2026, 6, 15, 10, 0, tzinfo=UTC))
    person = employee(store, hire_date=date(2021, 6, 15), birth_date=None, celebration="private")
    sweep(store, channel="C0CELEBRATE")
    deliver_due(store, slack(store, fake_slack))
    assert texts_to(fake_slack, "C0CELEBRATE") == []
    assert len(texts_to(fake_slack, person.slack_user_id)) == 1


def test_500_every_time_dead_letters_and_outbox_status_shows_it(
    store, clock, fake_slack, db_url, monkeypatch, capsys
):
    person, _ = anniversary_today(store, clock)
    fake_slack.fail_always("chat.postMessage", 500)
    for _ in range(4):
        deliver_due(store, slack(store, fake_slack), policy=RetryPolicy(max_attempts=3))
        clock.advance(hours=1)
    with store.reader() as uow:
        states = uow.session.execute(
            select(OutboxRow.status, OutboxRow.attempts).where(OutboxRow.topic == "milestone.awarded")
        ).all()
    assert [tuple(s) for s in states] == [("dead", 3)]

    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("PLAUDIT_ENCRYPTION_KEYS", f"k9:{generate_key()}")
    monkeypatch.setenv("PLAUDIT_BLIND_INDEX_KEY", generate_key())
    assert main(["outbox", "status"]) == 0
    shown = capsys.readouterr().out
    assert "dead       slack           1" in shown
    assert "milestone.awarded" in shown and "attempts=3" in shown and "500" in shown
    assert person.id not in shown and "employee_ids" not in shown

    assert main(["outbox", "retry", "--all-dead"]) == 0
    assert "queued 1 dead message(s)" in capsys.readouterr().out
    main(["outbox", "status"])
    assert "pending    slack           1" in capsys.readouterr().out


class Recorder:
    """A deliverer that notes every message it is handed."""

    def __init__(self) -> None:
        self.seen: list[int] = []
        self.lock = threading.Lock()

    def deliver(self, message) -> int:
        with self.lock:
            self.seen.append(message.id)
        return 200


def test_several_dispatchers_at_once_deliver_each_message_once(store):
    with store.uow() as uow:
        for n in range(120):
            uow.events.publish("test.event", {"n": n})
        uow.commit()
    recorder = Recorder()
    start = threading.Barrier(4)

    def dispatcher():
        start.wait()
        while deliver_due(store, {"slack": recorder}, limit=7):
            pass

    threads = [threading.Thread(target=dispatcher) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sorted(recorder.seen) == sorted(set(recorder.seen)) and len(recorder.seen) == 120
