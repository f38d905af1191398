"""Real-time delivery: woken at commit, exactly once between dispatchers and crashes, 429s honoured."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager

import pytest
from slack_sdk import WebClient
from sqlalchemy import text

from bot.outbound.messages import all_renderers
from bot.outbound.notifier import RenderContext, SlackNotifier
from bot.simulator.fake_slack import FakeSlack
from rewards.clock import SystemClock
from rewards.policy import RecognitionPolicy
from rewards.services.recognition import GiveRecognition, give_recognition
from scheduler.dispatcher import Dispatcher
from scheduler.outbox import LEASE, deliver_due
from storage.store import Store
from tests.factories import employee, give_allowance

SWEEP = 60.0  # far longer than any wait below: only a wake-up can deliver in time


@pytest.fixture
def fake_slack():
    with FakeSlack() as fake:
        yield fake


def slack(store, fake) -> dict:
    client = WebClient(token="xoxb-test", base_url=fake.url)
    return {"slack": SlackNotifier(client, RenderContext(store, {}), all_renderers())}


@contextmanager
def running(dispatcher: Dispatcher):
    dispatcher.start()
    if dispatcher._listener is not None:
        assert dispatcher._listener.listening.wait(10)
    time.sleep(0.2)  # its first look at the outbox is over: it now waits for a wake-up
    try:
        yield dispatcher
    finally:
        dispatcher.stop()


def wait_until(predicate, seconds: float = 5.0) -> float:
    """Seconds until `predicate()` held; fails after `seconds`."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > seconds:
            pytest.fail(f"not within {seconds} s")
        time.sleep(0.005)
    return time.monotonic() - started


def dms_to(fake, person) -> list:
    return [c for c in fake.calls_to("chat.postMessage") if c.args["channel"] == person.slack_user_id]


def private_kudos(store, giver, recipient) -> None:
    """Publish a recognition's event as a give does (a DM to the recipient only)."""
    with store.uow() as uow:
        uow.events.publish(
            "recognition.created",
            {
                "giver_id": giver.id,
                "recipient_ids": [recipient.id],
                "points_each": 5,
                "reason": "for the release",
                "private": True,
            },
        )
        uow.commit()


def test_a_give_dm_reaches_slack_within_a_second_of_commit_without_the_sweep(store, fake_slack):
    giver, ana = employee(store), employee(store)
    give_allowance(store, giver, 100)
    with running(Dispatcher(store, slack(store, fake_slack), sweep_seconds=SWEEP)):
        give_recognition(
            store.uow(),
            GiveRecognition(
                giver_id=giver.id,
                recipient_ids=[ana.id],
                points=20,
                reason="for the release",
                value=None,
                idempotency_key="slack-command:t1",
            ),
            RecognitionPolicy(),
            store.clock,
        )
        assert wait_until(lambda: dms_to(fake_slack, ana), 1.0) < 1.0


def test_notify_wakes_a_dispatcher_in_another_process_and_again_after_a_dropped_connection(
    store, fake_slack, backend
):
    if backend != "postgres":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    giver, ana, ben = employee(store), employee(store), employee(store)
    # wake_local=False: as a dispatcher on another server, only the NOTIFY can wake it
    dispatcher = Dispatcher(store, slack(store, fake_slack), sweep_seconds=SWEEP, wake_local=False)
    with running(dispatcher):
        private_kudos(store, giver, ana)
        assert wait_until(lambda: dms_to(fake_slack, ana), 1.0) < 1.0

        with store.engine.connect() as conn:  # the server drops the listening connection
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%'")
            )
            conn.commit()
        wait_until(lambda: not dispatcher._listener.listening.is_set(), 5)
        assert dispatcher._listener.listening.wait(10)
        private_kudos(store, giver, ben)
        assert wait_until(lambda: dms_to(fake_slack, ben), 1.0) < 1.0


class Recorder:
    """A deliverer that notes every message it is handed, slowly enough for dispatchers to overlap."""

    def __init__(self) -> None:
        self.seen: list[int] = []
        self.lock = threading.Lock()

    def deliver(self, message) -> int:
        time.sleep(0.002)
        with self.lock:
            self.seen.append(message.id)
        return 200


def test_two_dispatchers_woken_at_once_send_each_message_once(store, db_url, keyring, blind_index):
    recorder = Recorder()
    other = Store.open(db_url, keyring, blind_index, store.clock)  # its own connections, as another server
    first = Dispatcher(store, {"slack": recorder}, sweep_seconds=SWEEP, workers=4)
    second = Dispatcher(other, {"slack": recorder}, sweep_seconds=SWEEP, workers=4)
    try:
        with running(first), running(second):
            with store.uow() as uow:
                for n in range(150):
                    uow.events.publish("test.event", {"n": n})
                uow.commit()
            wait_until(lambda: len(recorder.seen) >= 150, 20)
            time.sleep(0.3)
    finally:
        other.close()
    assert len(recorder.seen) == 150 and len(set(recorder.seen)) == 150


KILLED_DISPATCHER = """
import sys, time
from datetime import datetime
from rewards.clock import FakeClock
from scheduler.dispatcher import Dispatcher
from storage.encryption.ciphers import BlindIndex, generate_key
from storage.store import Store
from tests.databases import new_keyring

class Hangs:
    def deliver(self, message):
        print("claimed", message.id, flush=True)
        time.sleep(600)  # killed before it sends

clock = FakeClock(datetime.fromisoformat(sys.argv[2]))
store = Store.open(sys.argv[1], new_keyring(), BlindIndex.from_text(generate_key()), clock)
Dispatcher(store, {"slack": Hangs()}, sweep_seconds=60).start()
time.sleep(600)
"""


def test_a_dispatcher_killed_after_claiming_leaves_the_message_to_the_sweep_once(store, clock, db_url):
    with store.uow() as uow:
        uow.events.publish("test.event", {"n": 1})
        uow.commit()
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    process = subprocess.Popen(
        [sys.executable, "-c", KILLED_DISPATCHER, db_url, clock.now().isoformat()],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("claimed"), line
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    recorder = Recorder()

    assert deliver_due(store, {"slack": recorder}) == 0  # still leased to the dead process
    clock.advance(seconds=LEASE.total_seconds() - 1)
    assert deliver_due(store, {"slack": recorder}) == 0
    clock.advance(seconds=2)  # the lease ran out: the sweep after restart takes it
    assert deliver_due(store, {"slack": recorder}) == 1
    clock.advance(hours=1)
    assert deliver_due(store, {"slack": recorder}) == 0
    assert recorder.seen == [int(line.split()[1])]


def test_a_channel_answering_429_gets_no_request_before_its_retry_after(store, fake_slack):
    store.clock = SystemClock()  # the waits are real
    giver, ana, ben = employee(store), employee(store), employee(store)
    fake_slack.fail_next(
        "chat.postMessage",
        429,
        body={"ok": False, "error": "ratelimited"},
        headers={"Retry-After": "2"},
        channel=ana.slack_user_id,
    )
    with running(Dispatcher(store, slack(store, fake_slack), sweep_seconds=SWEEP)):
        private_kudos(store, giver, ana)
        wait_until(lambda: dms_to(fake_slack, ana), 1.0)
        private_kudos(store, giver, ana)  # the same channel: it waits for the time Slack asked
        private_kudos(store, giver, ben)  # another channel: not held up
        assert wait_until(lambda: dms_to(fake_slack, ben), 1.0) < 1.0
        wait_until(lambda: len(dms_to(fake_slack, ana)) == 3, 5)
    refused, *later = dms_to(fake_slack, ana)
    assert refused.status == 429 and [c.status for c in later] == [200, 200]
    assert all(c.at >= refused.at + 2.0 for c in later)


def test_the_sweep_alone_still_delivers_with_the_dispatcher_off(store, fake_slack):
    giver, ana = employee(store), employee(store)
    private_kudos(store, giver, ana)
    assert deliver_due(store, slack(store, fake_slack)) == 1
    assert len(dms_to(fake_slack, ana)) == 1
