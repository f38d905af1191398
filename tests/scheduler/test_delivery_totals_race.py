"""The delivery totals carried past the purge count each deleted row once, even when two
transactions (an erasure during a purge, two purgers after a leader change) delete the same rows."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection, func, insert, select, text

from storage.delivery import totals
from storage.schema.core import OutboxAttemptRow, OutboxRow

OLD = datetime(2020, 1, 1, tzinfo=UTC)
CUTOFF = OLD + timedelta(days=1)
WAIT_FOR_LOCK_SECONDS = 30  # a bound on polling, not an assertion about speed


def _message(conn: Connection, channel: str, status: str, attempts: list[bool]) -> int:
    """An outbox message with attempts (True: succeeded); returns its id."""
    message_id = conn.scalar(
        insert(OutboxRow)
        .values(
            channel=channel,
            topic="award.issued",
            event_id="e",
            payload="{}",
            status=status,
            attempts=len(attempts),
            progress=0,
            available_at=OLD,
            created_at=OLD,
        )
        .returning(OutboxRow.id)
    )
    for succeeded in attempts:
        conn.execute(
            insert(OutboxAttemptRow).values(outbox_id=message_id, attempted_at=OLD, succeeded=succeeded)
        )
    return int(message_id)


def _world(store) -> tuple[list[int], dict[str, int]]:
    """Messages of each kind; their ids and the totals an exact count of them gives."""
    with store.engine.begin() as conn:
        ids = [
            _message(conn, "webhook", "delivered", [False, False, True]),
            _message(conn, "webhook", "delivered", [True]),
            _message(conn, "slack", "delivered", [False, True]),
            _message(conn, "webhook", "dead", [False, False, False]),
            _message(conn, "slack", "pending", [False]),
        ]
        expected = {
            totals.DELIVERED: conn.scalar(
                select(func.count()).select_from(OutboxRow).where(OutboxRow.status == "delivered")
            ),
            totals.WEBHOOK_FAILURES: conn.scalar(
                select(func.count())
                .select_from(OutboxAttemptRow)
                .join(OutboxRow, OutboxRow.id == OutboxAttemptRow.outbox_id)
                .where(OutboxAttemptRow.succeeded.is_(False), OutboxRow.channel == "webhook")
            ),
        }
    assert expected == {totals.DELIVERED: 3, totals.WEBHOOK_FAILURES: 5}
    return ids, expected


def _carried(store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return totals.carried(conn)


def _kept(store) -> tuple[int, int]:
    with store.engine.connect() as conn:
        return (
            int(conn.scalar(select(func.count()).select_from(OutboxRow)) or 0),
            int(conn.scalar(select(func.count()).select_from(OutboxAttemptRow)) or 0),
        )


def _blocked_on_a_lock(store, pid: int) -> bool:
    with store.engine.connect() as conn:
        return bool(
            conn.scalar(
                text("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
            )
        )


def _race(store, first: Callable[[Connection], object], second: Callable[[Connection], object]) -> None:
    """Run `first` in an open transaction, then `second` in another until its delete waits on the
    first's row locks; commit the first, let the second finish and commit."""
    a = store.engine.connect()
    a_txn = a.begin()
    first(a)
    failure: list[BaseException] = []
    pid: list[int] = []

    def other() -> None:
        try:
            with store.engine.begin() as b:
                pid.append(int(b.scalar(text("SELECT pg_backend_pid()"))))
                second(b)
        except BaseException as exc:  # surfaced in the test below
            failure.append(exc)

    thread = threading.Thread(target=other)
    thread.start()
    deadline = time.monotonic() + WAIT_FOR_LOCK_SECONDS
    while not (pid and _blocked_on_a_lock(store, pid[0])):
        assert thread.is_alive() and time.monotonic() < deadline, "the second delete never waited"
        time.sleep(0.01)
    a_txn.commit()
    a.close()
    thread.join()
    assert not failure, failure


def _purge_messages(ids: list[int]) -> Callable[[Connection], object]:
    return lambda conn: totals.forget_messages(conn, ids)


def _purge_attempts(conn: Connection) -> object:
    return totals.forget_failed_attempts(conn, CUTOFF, 100)


@pytest.mark.parametrize("backend", ["postgres"])
def test_a_delete_that_waits_on_another_counts_only_what_it_deleted(store):
    ids, expected = _world(store)
    _race(store, _purge_messages(ids), _purge_messages(ids))
    assert _carried(store) == expected
    assert _kept(store) == (0, 0)


@pytest.mark.parametrize("backend", ["postgres"])
def test_two_attempt_purges_at_once_count_each_failed_attempt_once(store):
    ids, _ = _world(store)
    _race(store, _purge_attempts, _purge_attempts)
    # Failed attempts of every message go, webhook ones counted once: 2 + 3 (the dead message's).
    assert _carried(store) == {totals.WEBHOOK_FAILURES: 5}
    assert _kept(store) == (len(ids), 3)  # the successful attempts stay


@pytest.mark.parametrize("backend", ["postgres"])
def test_an_erasure_waiting_on_an_attempt_purge_counts_what_remained(store):
    ids, expected = _world(store)
    _race(store, _purge_attempts, _purge_messages(ids))
    assert _carried(store) == expected
    assert _kept(store) == (0, 0)


def test_deleting_the_same_messages_twice_counts_them_once(store):
    ids, expected = _world(store)
    for _ in range(2):
        with store.engine.begin() as conn:
            totals.forget_messages(conn, ids)
        with store.engine.begin() as conn:
            assert totals.forget_failed_attempts(conn, CUTOFF, 100) == 0
    assert _carried(store) == expected
    assert _kept(store) == (0, 0)
