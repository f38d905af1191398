"""Delivery under pressure: rate limits defer, slow receivers share, leases guard, writes wake."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import select
from sqlalchemy.engine import make_url

from rewards.clock import SystemClock
from rewards.delivery import DeliveryDeferred, DeliveryFailed, DestinationPacing, Pace
from scheduler.dispatcher import Dispatcher
from scheduler.outbox import RetryPolicy, attempt, deliver_due
from storage.delivery import wake, webhooks
from storage.delivery.dispatch import claim_due, record_attempt, renew, reschedule
from storage.delivery.outbox_admin import outbox_status, retry_dead
from storage.schema.core import OutboxAttemptRow, OutboxRow
from storage.store import Store

MINUTE = timedelta(minutes=1)


def publish(store, topic: str, count: int = 1) -> None:
    with store.uow() as uow:
        for n in range(count):
            uow.events.publish(topic, {"n": n})
        uow.commit()


class RateLimited:
    def deliver(self, message):
        raise DeliveryFailed("Slack answered 429 ratelimited", status_code=429, retry_after=1.0)


class Recorder:
    def __init__(self) -> None:
        self.seen: list = []
        self.lock = threading.Lock()

    def deliver(self, message) -> int:
        with self.lock:
            self.seen.append(message)
        return 200


def test_a_persistent_429_is_deferred_without_spending_attempts(store, clock):
    publish(store, "test.x")
    for _ in range(20):
        deliver_due(store, {"slack": RateLimited()})
        clock.advance(seconds=1)
    assert outbox_status(store).counts == {("pending", "slack"): 1}
    with store.reader() as uow:
        row = uow.session.scalars(select(OutboxRow)).one()
        logged = uow.session.scalars(select(OutboxAttemptRow.status_code)).all()
    assert row.attempts == 0 and len(logged) == 20 and set(logged) == {429}


def test_one_claim_takes_a_capped_number_of_one_subscriptions_messages(store):
    webhooks.create(store, "https://example.com/h", ["test.backlog"], None)
    publish(store, "test.backlog", 40)
    taken = claim_due(store, 32, ["webhook"], MINUTE, kind="subscribed", per_subscription=3)
    assert len(taken) == 3
    assert claim_due(store, 32, ["webhook"], MINUTE, kind="direct") == []


def test_a_hung_receiver_delays_no_slack_message_by_more_than_a_second(store):
    for n in range(8):  # more subscriptions than the whole pool has threads
        webhooks.create(store, f"https://slow.example.com/h{n}", ["test.backlog"], None)
    publish(store, "test.backlog", 15)
    release = threading.Event()

    class Hung:
        def deliver(self, message):
            release.wait(10)
            return 200

    slack = Recorder()
    dispatcher = Dispatcher(
        store, {"slack": slack, "webhook": Hung()}, sweep_seconds=60, listen=False
    ).start()
    try:
        time.sleep(0.3)  # every webhook worker is now stuck
        with slack.lock:
            slack.seen.clear()
        started = time.monotonic()
        publish(store, "test.dm")
        while not any(m.topic == "test.dm" for m in list(slack.seen)):
            assert time.monotonic() - started < 1.0, "the Slack message waited for the hung receiver"
            time.sleep(0.005)
    finally:
        release.set()
        dispatcher.stop(1)


def test_a_lane_gives_its_worker_back_after_each_message(store):
    first, _ = webhooks.create(store, "https://a.example.com/h", ["test.a"], None)
    second, _ = webhooks.create(store, "https://b.example.com/h", ["test.b"], None)
    publish(store, "test.a", 3)
    publish(store, "test.b", 1)
    hooks = Recorder()
    dispatcher = Dispatcher(
        store, {"webhook": hooks}, sweep_seconds=60, workers=2, lane_depth=3, listen=False, wake_local=False
    )
    try:
        assert dispatcher.fill() == 4
        deadline = time.monotonic() + 5
        while len(hooks.seen) < 4 and time.monotonic() < deadline:
            time.sleep(0.005)
    finally:
        dispatcher.stop(1)
    order = [m.subscription_id for m in hooks.seen]
    assert order == [first.id, second.id, first.id, first.id]


def test_a_message_whose_lease_was_taken_over_is_neither_sent_nor_recorded(store, clock):
    publish(store, "test.x")
    (mine,) = claim_due(store, 10, ["slack"], MINUTE)
    clock.advance(minutes=2)  # it waited in a lane past its lease
    (theirs,) = claim_due(store, 10, ["slack"], MINUTE)
    slack = Recorder()

    assert attempt(store, slack, mine, RetryPolicy(lease=MINUTE)) == 0
    assert slack.seen == []
    changes = {"status": "delivered", "attempts": 1}
    assert not record_attempt(store, mine, changes=changes, status_code=200, error=None, duration_ms=1)
    assert not reschedule(store, mine, clock.now(), 0)
    with store.reader() as uow:
        row = uow.session.scalars(select(OutboxRow)).one()
    assert row.status == "pending" and row.available_at == theirs.leased_until
    assert attempt(store, slack, theirs, RetryPolicy(lease=MINUTE)) == 1


def test_a_renewed_lease_keeps_other_dispatchers_off_until_it_ends(store, clock):
    publish(store, "test.x")
    (mine,) = claim_due(store, 10, ["slack"], MINUTE)
    clock.advance(seconds=50)
    renewed = renew(store, mine, MINUTE)
    assert renewed is not None
    clock.advance(seconds=30)  # past the first lease, inside the renewed one
    assert claim_due(store, 10, ["slack"], MINUTE) == []
    assert renew(store, mine, MINUTE) is None  # the old token no longer owns it


def test_a_deferred_message_is_sent_at_its_due_time_not_at_the_next_sweep(
    store, db_url, keyring, blind_index
):
    live = Store.open(db_url, keyring, blind_index, SystemClock())
    sent: list[float] = []

    class PausesOnce:
        def deliver(self, message):
            if not sent and message.progress == 0:
                sent.append(-1.0)
                raise DeliveryDeferred("paused", retry_after=0.3, progress=1)
            sent.append(time.monotonic())
            return 200

    dispatcher = Dispatcher(live, {"slack": PausesOnce()}, sweep_seconds=60, listen=False).start()
    try:
        time.sleep(0.2)
        started = time.monotonic()
        publish(live, "test.x")
        while len(sent) < 2 and time.monotonic() - started < 3:
            time.sleep(0.01)
    finally:
        dispatcher.stop(1)
        live.close()
    assert len(sent) == 2 and sent[1] - started < 1.0


def test_queueing_a_webhook_test_and_retrying_dead_letters_wake_the_dispatchers(store):
    woken = threading.Event()
    wake.subscribe(woken)
    try:
        sub, _ = webhooks.create(store, "https://example.com/h", ["test.x"], None)
        webhooks.enqueue_test(store, sub.id)
        assert woken.is_set()
        woken.clear()
        with store.uow() as uow:
            uow.session.execute(OutboxRow.__table__.update().values(status="dead"))
            uow.commit()
        assert not woken.is_set()
        assert retry_dead(store) == 1
        assert woken.is_set()
    finally:
        wake.unsubscribe(woken)


def test_the_listening_connection_uses_tcp_keepalives(monkeypatch):
    seen: dict = {}
    called = threading.Event()

    def connect(conninfo, **kwargs):
        seen.update(kwargs)
        called.set()
        raise OSError("no server here")

    monkeypatch.setattr(wake.psycopg, "connect", connect)
    engine = SimpleNamespace(url=make_url("postgresql+psycopg://u@127.0.0.1:1/x"))
    listener = wake.OutboxListener(engine, threading.Event(), poll_seconds=0.05).start()  # type: ignore[arg-type]
    try:
        assert called.wait(5)
    finally:
        listener.stop()
    assert seen["keepalives"] == 1 and seen["keepalives_idle"] == 10 and seen["keepalives_count"] == 3


def test_pacing_forgets_destinations_that_have_refilled_and_holds_that_passed(clock):
    pacing = DestinationPacing(clock, {"chat.postMessage": Pace(per_second=1.0, burst=4)})
    for n in range(1000):
        pacing.wait(("chat.postMessage", f"U{n}"), "chat.postMessage")
        pacing.hold(("chat.postMessage", f"C{n}"), 5)
    clock.advance(minutes=2)
    pacing.wait(("chat.postMessage", "U-new"), "chat.postMessage")
    assert len(pacing._buckets) == 1 and pacing._held_until == {}
