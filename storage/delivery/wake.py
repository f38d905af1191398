"""Waking outbox dispatchers after commit: in this process, and across servers with LISTEN/NOTIFY."""

from __future__ import annotations

import logging
import threading
import weakref
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine

from storage.database.engine import is_sqlite

log = logging.getLogger("plaudit.outbox.wake")

CHANNEL = "plaudit_outbox"
_local: weakref.WeakSet[threading.Event] = weakref.WeakSet()
_local_lock = threading.Lock()


def subscribe(event: threading.Event) -> None:
    """Set `event` whenever a unit of work of this process commits outbox rows."""
    with _local_lock:
        _local.add(event)


def unsubscribe(event: threading.Event) -> None:
    with _local_lock:
        _local.discard(event)


def outbox_committed() -> None:
    """The unit of work's commit hook: wake every dispatcher of this process."""
    with _local_lock:
        events = list(_local)
    for event in events:
        event.set()


def notify_in_transaction(connection: Connection) -> None:
    """On PostgreSQL, queue a NOTIFY that the server delivers to listeners when the transaction commits."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"NOTIFY {CHANNEL}")


class OutboxListener:
    """A dedicated PostgreSQL connection that LISTENs and sets `event` on every notification.

    After a dropped connection it connects again and sets the event once, since a
    notification sent while it was away is lost (the dispatcher then looks for itself).
    """

    def __init__(self, engine: Engine, event: threading.Event, *, poll_seconds: float = 1.0) -> None:
        # Imported here: leader_lock reaches the store, whose unit of work imports this module.
        from storage.scheduling.leader_lock import KEEPALIVES

        self._keepalives: dict[str, Any] = dict(
            KEEPALIVES
        )  # a dead server is noticed in ~25 s, not hours later
        url = engine.url.set(drivername="postgresql")
        self._conninfo = url.render_as_string(hide_password=False)
        self.event = event
        self.poll_seconds = poll_seconds
        self.listening = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="plaudit-outbox-listen", daemon=True)

    def start(self) -> OutboxListener:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(self.poll_seconds + 5)

    def _run(self) -> None:
        pause = 1.0
        while not self._stop.is_set():
            try:
                with psycopg.connect(
                    self._conninfo, autocommit=True, connect_timeout=10, **self._keepalives
                ) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    self.event.set()
                    pause = 1.0
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=self.poll_seconds, stop_after=1):
                            self.event.set()
            except Exception as exc:  # the database went away: listen again when it is back
                log.warning("outbox listener lost its connection (%s); reconnecting", type(exc).__name__)
            self.listening.clear()
            self._stop.wait(pause)
            pause = min(pause * 2, 30.0)


def listener_for(engine: Engine, event: threading.Event) -> OutboxListener | None:
    """A started listener on PostgreSQL; None on SQLite (each process wakes its own dispatcher)."""
    if is_sqlite(engine):
        return None
    return OutboxListener(engine, event).start()
