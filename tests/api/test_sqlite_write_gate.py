"""The SQLite write gate: writers in several processes and threads queue and none is lost."""

from __future__ import annotations

import multiprocessing
import threading

from sqlalchemy import text

from storage.database.engine import make_engine


def _write(url: str, rows: int, base: int) -> None:
    engine = make_engine(url)
    done = []

    def insert(offset: int) -> None:
        for n in range(rows):
            with engine.begin() as conn:
                count = conn.execute(text("SELECT count(*) FROM t")).scalar_one()
                conn.execute(
                    text("INSERT INTO t (n, seen) VALUES (:n, :seen)"), {"n": offset + n, "seen": count}
                )
        done.append(offset)

    threads = [threading.Thread(target=insert, args=(base + k * 10_000,)) for k in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.dispose()
    assert len(done) == 3


def test_writers_in_processes_and_threads_are_serialised(tmp_path):
    url = f"sqlite:///{tmp_path / 'gate.db'}"
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER PRIMARY KEY, seen INTEGER)"))
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_write, args=(url, 50, p * 100_000)) for p in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [w.exitcode for w in workers] == [0, 0]
    with engine.connect() as conn:
        seen = conn.execute(text("SELECT seen FROM t ORDER BY seen")).scalars().all()
    engine.dispose()
    assert seen == list(range(300))  # each writer saw every earlier commit: strictly one at a time
    assert (tmp_path / "gate.db-writelock").exists()  # storage.database.sqlite_gate's lock file
