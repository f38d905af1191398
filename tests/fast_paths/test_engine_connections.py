"""Engine tuning keeps its promises: a dropped PostgreSQL connection is replaced; SQLite writers queue."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing

import pytest
from sqlalchemy import create_engine, text

from storage.database import engine as engine_module
from storage.database.engine import make_engine


def test_a_pooled_connection_the_server_dropped_is_replaced_before_use(postgres_url, monkeypatch):
    if postgres_url is None:
        pytest.skip("PLAUDIT_TEST_POSTGRES_URL is not set")
    monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    engine = make_engine(postgres_url, pool_size=1)
    with engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:  # as a server restart or an idle timeout would
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != pid
    engine.dispose()


def test_sqlite_writers_on_many_threads_and_engines_all_commit(tmp_path):
    url = f"sqlite:///{tmp_path / 'gate.db'}"
    engines = [make_engine(url), make_engine(url)]  # two engines: one gate per file per process
    with engines[0].begin() as conn:
        conn.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO counter VALUES (0)"))

    def bump(engine) -> None:
        for _ in range(25):
            with engine.begin() as conn:
                n = conn.execute(text("SELECT n FROM counter")).scalar()
                conn.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})

    threads = [threading.Thread(target=bump, args=(engines[i % 2],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with engines[1].connect() as conn:
        assert conn.execute(text("SELECT n FROM counter")).scalar() == 200
    for engine in engines:
        engine.dispose()


def test_a_reader_is_never_held_at_the_gate_while_a_writer_is_open(tmp_path):
    url = f"sqlite:///{tmp_path / 'nested.db'}"
    outer, inner = make_engine(url), make_engine(url)
    with outer.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
    with outer.connect() as conn:
        conn.execute(text("SELECT 1"))  # a write transaction is open on this thread
        with inner.connect().execution_options(**{engine_module.READ_ONLY: True}) as reader:
            assert reader.execute(text("SELECT count(*) FROM t")).scalar() == 0
        conn.rollback()
    with inner.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (1)"))
    outer.dispose()
    inner.dispose()


def test_sqlite_checkpoints_keep_the_write_ahead_log_bounded(tmp_path):
    from storage.database import sqlite_gate

    url = f"sqlite:///{tmp_path / 'wal.db'}"
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (payload TEXT)"))
    for _ in range(3 * sqlite_gate.CHECKPOINT_EVERY):
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (:p)"), {"p": "x" * 3000})
    engine.dispose()
    with closing(sqlite3.connect(tmp_path / "wal.db")) as raw:  # outside any transaction
        _busy, log_frames, _done = raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    # Without the checkpoints after commit, the log would hold every page of all 300 commits.
    assert log_frames < 2 * sqlite_gate.CHECKPOINT_EVERY
