"""Delivery under load: fresh messages first, the backlog never starved, outcomes batched, stop hands back."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import event, select, update

from rewards.clock import SystemClock
from scheduler.dispatcher import BacklogShare, Dispatcher
from scheduler.outbox import RetryPolicy, Tried, settle
from storage.delivery.dispatch import ClaimRequest, Outcome, claim, claim_due, record_outcomes
from storage.schema.core import OutboxAttemptRow, OutboxRow
from storage.store import Store

MINUTE = timedelta(minutes=1)
FRESH = timedelta(seconds=1)


def publish(store, count: int, topic: str = "test.x") -> list[int]:
    """Write `count` Slack messages in one transaction; returns their ids."""
    with store.uow() as uow:
        for n in range(count):
            uow.events.publish(topic, {"n": n})
        uow.commit()
    with store.reader() as uow:
        ids = uow.session.scalars(select(OutboxRow.id).order_by(OutboxRow.id.desc()).limit(count)).all()
    return sorted(ids)


def test_a_claim_takes_fresh_messages_before_the_backlog_but_keeps_the_backlogs_places(store, clock):
    backlog = publish(store, 6)
    clock.advance(seconds=10)  # the backlog has waited; these are new
    fresh = publish(store, 3)
    request = ClaimRequest(direct=4, fresh_since=clock.now() - FRESH, backlog=1)

    taken = [m.id for m in claim(store, ["slack"], MINUTE, request)]

    assert taken == fresh + backlog[:1]  # the fresh ones first, oldest of them first; then the oldest


def test_places_the_fresh_messages_leave_go_to_the_backlog(store, clock):
    backlog = publish(store, 6)
    clock.advance(seconds=10)
    fresh = publish(store, 1)
    request = ClaimRequest(direct=4, fresh_since=clock.now() - FRESH, backlog=1)

    assert [m.id for m in claim(store, ["slack"], MINUTE, request)] == fresh + backlog[:3]


def test_a_steady_stream_of_fresh_messages_never_starves_the_backlog(store, clock):
    """Every claim has room for one only (a worker just finished); fresh ones keep arriving.

    The backlog still gets one place in four: the credit BacklogShare carries between claims.
    """
    backlog = set(publish(store, 20))
    clock.advance(seconds=10)
    share = BacklogShare(0.25)
    taken_old = 0
    for _ in range(8):
        publish(store, 1)  # a new message before every claim
        places = share.places(1)
        taken = claim(
            store, ["slack"], MINUTE, ClaimRequest(direct=1, fresh_since=clock.now() - FRESH, backlog=places)
        )
        share.claimed(places, all_due_taken=False)
        taken_old += sum(1 for m in taken if m.id in backlog)
    assert taken_old == 2


def test_with_nothing_else_due_the_backlog_carries_no_credit():
    share = BacklogShare(0.25)
    assert share.places(3) == 0
    share.claimed(0, all_due_taken=True)
    assert share.places(1) == 0  # the 0.75 from the idle claim was forgotten


def test_many_outcomes_are_recorded_in_one_transaction_each_only_where_the_claim_still_owns_it(store, clock):
    publish(store, 5)
    mine = claim_due(store, 10, ["slack"], MINUTE)
    taken_over = mine[2]
    theirs = clock.now() + 2 * MINUTE  # another dispatcher's lease, written over ours
    with store.uow() as uow:
        uow.session.execute(
            update(OutboxRow).where(OutboxRow.id == taken_over.id).values(available_at=theirs)
        )
        uow.commit()
    commits: list[object] = []

    def count(conn) -> None:
        commits.append(conn)

    event.listen(store.engine, "commit", count)
    try:
        tried = [Tried(m, 200, None, finished_at=clock.now()) for m in mine]
        delivered = settle(store, tried, RetryPolicy(lease=MINUTE))
    finally:
        event.remove(store.engine, "commit", count)

    assert delivered == [True, True, False, True, True]
    assert len(commits) == 1
    with store.reader() as uow:
        rows = {r.id: r for r in uow.session.scalars(select(OutboxRow))}
        logged = uow.session.scalars(select(OutboxAttemptRow.outbox_id)).all()
    assert rows[taken_over.id].status == "pending" and rows[taken_over.id].available_at == theirs
    assert {rows[m.id].status for m in mine if m.id != taken_over.id} == {"delivered"}
    assert sorted(logged) == sorted(m.id for m in mine)  # every request made is in the log


def test_record_outcomes_answers_for_each_message(store):
    publish(store, 2)
    first, second = claim_due(store, 10, ["slack"], MINUTE)
    owned = record_outcomes(
        store,
        [
            Outcome(first, {"status": "delivered", "attempts": 1}, status_code=200),
            Outcome(second, {"available_at": second.leased_until + MINUTE}, attempted=False),
        ],
    )
    assert owned == [True, True]
    with store.reader() as uow:
        assert uow.session.scalars(select(OutboxAttemptRow.outbox_id)).all() == [first.id]


def test_stopping_hands_back_what_was_claimed_and_not_sent_and_records_what_was_sent(store, clock):
    publish(store, 5)
    started, release = threading.Event(), threading.Event()
    sent: list[int] = []

    class Slow:
        def deliver(self, message):
            sent.append(message.id)
            started.set()
            release.wait(10)
            return 200

    dispatcher = Dispatcher(
        store, {"slack": Slow()}, sweep_seconds=60, workers=1, listen=False, wake_local=False
    )
    assert dispatcher.fill() == 4  # one thread: four claimed, one of them being sent
    assert started.wait(5)
    threading.Timer(0.3, release.set).start()  # the send in flight ends while stop() waits for it
    dispatcher.stop(5)

    assert sent == [sent[0]]
    with store.reader() as uow:
        rows = uow.session.scalars(select(OutboxRow).order_by(OutboxRow.id)).all()
    assert [r.status for r in rows if r.id == sent[0]] == ["delivered"]
    # The three never started are due again now, not when their five-minute lease would end.
    assert len(claim_due(store, 10, ["slack"], MINUTE)) == 4


def test_messages_handed_back_at_stop_wake_another_dispatcher_at_once(store, db_url, keyring, blind_index):
    live = Store.open(db_url, keyring, blind_index, SystemClock())  # real time: the other one waits for it
    publish(live, 5)
    started, release = threading.Event(), threading.Event()

    class Slow:
        def deliver(self, message):
            started.set()
            release.wait(10)
            return 200

    class Quick:
        def __init__(self) -> None:
            self.seen: list[int] = []

        def deliver(self, message):
            self.seen.append(message.id)
            return 200

    quick = Quick()
    leaving = Dispatcher(live, {"slack": Slow()}, sweep_seconds=60, workers=1, listen=False, wake_local=False)
    # Another server: woken only by the hand-back's commit (NOTIFY on PostgreSQL, in process on SQLite).
    other = Dispatcher(
        live, {"slack": quick}, sweep_seconds=60, listen=True, wake_local=live.engine.dialect.name == "sqlite"
    )
    try:
        assert leaving.fill() == 4
        assert started.wait(5)
        other.start()
        if other._listener is not None:
            assert other._listener.listening.wait(10)
        time.sleep(0.3)  # its first look is over: it took the one message left unclaimed
        assert len(quick.seen) == 1
        threading.Timer(0.3, release.set).start()
        leaving.stop(5)
        handed_back = time.monotonic()
        while len(quick.seen) < 4 and time.monotonic() - handed_back < 1.0:
            time.sleep(0.01)
        assert len(quick.seen) == 4  # the three handed back, well before the next sweep (60 s)
    finally:
        release.set()
        other.stop(2)
        live.close()
