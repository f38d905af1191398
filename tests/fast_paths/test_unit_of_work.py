"""The connection-based unit of work: raw-cursor writes commit, ORM and Core share one transaction."""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from rewards.model import EmployeeStatus
from storage.database import sqlite_gate
from storage.schema.core import OutboxRow
from storage.schema.scheduling import SchedulerMarkRow
from tests.factories import employee


def outbox_count(store) -> int:
    with store.reader() as uow:
        return uow.session.scalar(select(func.count()).select_from(OutboxRow))


def test_writes_on_the_raw_cursor_alone_are_committed(store):
    # The outbox publisher writes on the driver's cursor: nothing goes through SQLAlchemy
    # first, so the unit of work must still have begun (and commit) a transaction.
    with store.uow() as uow:
        uow.events.publish("test.event", {"n": 1})
        uow.commit()

    assert outbox_count(store) == 1


def test_leaving_without_commit_keeps_nothing_from_either_path(store):
    with store.uow() as uow:
        uow.events.publish("test.event", {"n": 1})  # raw cursor
        uow.session.add(SchedulerMarkRow(key="left-behind", done_at=store.clock.now()))  # ORM
        uow.session.flush()

    assert outbox_count(store) == 0
    with store.reader() as uow:
        assert uow.session.get(SchedulerMarkRow, "left-behind") is None


def test_orm_changes_and_raw_writes_commit_together(store):
    with store.uow() as uow:
        uow.events.publish("test.event", {"n": 1})
        uow.session.add(SchedulerMarkRow(key="together", done_at=store.clock.now()))
        uow.commit()

    assert outbox_count(store) == 1
    with store.reader() as uow:
        assert uow.session.get(SchedulerMarkRow, "together") is not None


def test_rollback_undoes_both_paths_and_the_unit_can_write_again(store):
    with store.uow() as uow:
        uow.events.publish("test.event", {"n": 1})
        uow.session.add(SchedulerMarkRow(key="undone", done_at=store.clock.now()))
        uow.rollback()
        uow.events.publish("test.event", {"n": 2})
        uow.commit()

    assert outbox_count(store) == 1
    with store.reader() as uow:
        assert uow.session.get(SchedulerMarkRow, "undone") is None


def test_employees_read_on_the_driver_keep_their_types(store):
    people = [employee(store, is_bot=n == 0) for n in range(3)]

    with store.reader() as uow:
        found = uow.employees.get_many([p.id for p in people], personal=False)

    for person in people:
        got = found[person.id]
        assert got.status is EmployeeStatus.ACTIVE
        assert isinstance(got.is_bot, bool) and got.is_bot == person.is_bot
        assert isinstance(got.created_at, datetime) and got.created_at.tzinfo is not None
        assert got.created_at == person.created_at
        assert got.email is None  # personal fields left unread


@pytest.mark.parametrize("count", [1, 8, 9])
def test_many_employees_by_id_whatever_the_list_length(store, count):
    people = [employee(store) for _ in range(count)]
    with store.reader() as uow:
        found = uow.employees.get_many([p.id for p in people] + ["no-such-id"])
    assert sorted(found) == sorted(p.id for p in people)
    assert {e.email for e in found.values()} == {p.email for p in people}


def test_a_failed_commit_rolls_back_and_leaves_no_write_lock_behind(sqlite_store, monkeypatch):
    store = sqlite_store
    real_commit = sqlite_gate.GatedConnection.commit

    def disk_full(self):  # SQLite refuses the COMMIT, as on a full disk
        monkeypatch.setattr(sqlite_gate.GatedConnection, "commit", real_commit)
        self._release()
        raise sqlite3.OperationalError("database or disk is full")

    with pytest.raises(OperationalError), store.uow() as uow:
        uow.events.publish("test.event", {"n": 1})
        monkeypatch.setattr(sqlite_gate.GatedConnection, "commit", disk_full)
        uow.commit()

    done = threading.Event()

    def write_elsewhere():  # another connection: would wait for the write lock if it were held
        with store.uow() as other:
            other.events.publish("test.event", {"n": 2})
            other.commit()
        done.set()

    threading.Thread(target=write_elsewhere, daemon=True).start()
    assert done.wait(10), "a writer is stuck behind the failed transaction's lock"
    assert outbox_count(store) == 1
