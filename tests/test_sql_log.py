"""With SQL logging on, every statement a give runs appears in the log, those run on the driver too."""

from __future__ import annotations

import logging
import sqlite3

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError

from rewards.policy import RecognitionPolicy
from rewards.services.recognition import GiveRecognition, give_recognition
from tests.factories import employee, give_allowance

POLICY = RecognitionPolicy(max_points=50, daily_cap_per_recipient=60)


def _normal(sql: str) -> str:
    return " ".join(sql.split())


def test_every_statement_of_a_give_reaches_the_sql_log(sqlite_store, caplog):
    store = sqlite_store
    ana, ben = employee(store), employee(store)
    give_allowance(store, ana, 100)
    executed: list[str] = []

    @event.listens_for(store.engine, "connect")
    def _trace(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        dbapi_conn.set_trace_callback(executed.append)

    store.engine.dispose()  # new connections, each traced by SQLite itself
    command = GiveRecognition(ana.id, [ben.id], 10, "for the demo", idempotency_key="log-1")
    with caplog.at_level(logging.INFO, logger="sqlalchemy.engine"):
        give_recognition(store.uow(), command, POLICY, store.clock)

    logged = " ".join(_normal(r.getMessage()) for r in caplog.records if r.name.startswith("sqlalchemy"))
    statements = [_normal(s) for s in executed if not s.upper().startswith(("PRAGMA", "ROLLBACK", "COMMIT"))]
    assert any(s.startswith("INSERT INTO postings") or "postings" in s for s in statements)
    assert "[on the driver]" in logged  # the give's fast path ran statements on the driver
    missing = [s for s in statements if _first_words(s) not in logged]
    assert not missing, f"run but never logged: {missing}"


def _first_words(sql: str) -> str:
    """SQLite's trace shows bound values inline; the log shows placeholders: compare the opening."""
    return sql.split("?")[0].split("'")[0][:60].strip()


def test_a_failed_statement_never_carries_its_parameters(store):
    """Errors reach the logs whole: they must not hold the ciphertexts or keys a statement carried."""
    secret = "v1:k1:c2VjcmV0LWNpcGhlcnRleHQ"
    with pytest.raises(DBAPIError) as failed, store.engine.begin() as conn:
        conn.execute(text("INSERT INTO no_such_table (x) VALUES (:x)"), {"x": secret})
    assert secret not in str(failed.value)
    assert "hidden" in str(failed.value)
