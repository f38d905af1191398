"""Benchmark: one milestone sweep over many employees with encrypted dates, beside a raw read.

The baseline, measured in the same run on the same rows, is simply reading the employees'
zone and encrypted dates and decrypting them. The sweep does that and finds what is due,
checks which awards exist, and awards the rest: the first sweep pays a 7-day backlog (a
scheduler coming back from downtime), the second finds nothing new (the every-few-minutes
case), and the next day's sweep pays one day of anniversaries and birthdays (the daily case).

    python bench/milestones.py [--employees 100000] [--postgres URL] [--skip-sqlite]
PostgreSQL is used when --postgres or PLAUDIT_TEST_POSTGRES_URL gives a server URL; the
benchmark creates and drops its own database there.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from rewards.clock import FakeClock
from rewards.services.milestones import SweepOptions, sweep_milestones
from storage.database.engine import normalise_url
from storage.encryption.ciphers import BlindIndex, Keyring, generate_key
from storage.ledger.repository import account_code
from storage.scheduling.unit_of_work import scheduler_reader, scheduler_uow
from storage.schema import migrate
from storage.schema.core import EmployeeRow
from storage.store import Store

ZONES = [
    "Pacific/Auckland",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    None,
]
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
CHUNK = 5000


def seed(store: Store, count: int) -> float:
    """Insert `count` active employees with encrypted dates, and their accounts, in bulk."""
    began = time.perf_counter()
    rng = random.Random(42)
    encrypt = store.cipher.encrypt
    for start in range(0, count, CHUNK):
        people, accounts = [], []
        for _ in range(min(CHUNK, count - start)):
            emp_id = str(uuid.uuid4())
            hire = date(2000, 1, 1) + timedelta(days=rng.randrange(9660))
            birth = date(1960, 1, 1) + timedelta(days=rng.randrange(14600))
            people.append(
                {
                    "id": emp_id,
                    "timezone": rng.choice(ZONES),
                    "status": "active",
                    "is_bot": False,
                    "is_guest": False,
                    "celebration": "public",
                    "created_at": NOW,
                    "updated_at": NOW,
                    "hire_date_enc": encrypt(hire.isoformat(), "employees", "hire_date_enc", emp_id),
                    "birth_date_enc": encrypt(birth.isoformat(), "employees", "birth_date_enc", emp_id),
                }
            )
            accounts += [
                {"code": account_code(emp_id, kind), "owner_id": emp_id, "kind": kind.value, "balance": 0}
                for kind in _kinds()
            ]
        with store.engine.begin() as conn:
            load = _copy if conn.dialect.name == "postgresql" else _executemany
            load(conn, "employees", people)
            load(conn, "accounts", accounts)
    return time.perf_counter() - began


def _executemany(conn, table: str, rows: list[dict]) -> None:
    """SQLite: the driver's executemany, without SQLAlchemy's per-row type processing."""
    columns = list(rows[0])
    values = [[_sqlite_value(row[c]) for c in columns] for row in rows]
    conn.connection.driver_connection.executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", values
    )


def _sqlite_value(value):
    # Stored the way storage.schema.types.UTCDateTime stores it on SQLite: naive UTC text.
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ") if isinstance(value, datetime) else value


def _copy(conn, table: str, rows: list[dict]) -> None:
    """PostgreSQL COPY: several times faster than INSERT for a bulk load."""
    columns = list(rows[0])
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


def _kinds():
    from rewards.model import EMPLOYEE_ACCOUNT_KINDS

    return EMPLOYEE_ACCOUNT_KINDS


def raw_read(store: Store) -> tuple[float, int]:
    """The baseline: read every active employee's zone and dates and decrypt them."""
    began = time.perf_counter()
    decrypt = store.cipher.decrypt
    rows = 0
    with store.reader() as uow:
        query = (
            select(
                EmployeeRow.id, EmployeeRow.timezone, EmployeeRow.hire_date_enc, EmployeeRow.birth_date_enc
            )
            .where(
                EmployeeRow.status == "active", EmployeeRow.erased_at.is_(None), EmployeeRow.is_bot.is_(False)
            )
            .execution_options(yield_per=2000)
        )
        for emp_id, _tz, hire, birth in uow.session.execute(query):
            date.fromisoformat(decrypt(hire, "employees", "hire_date_enc", emp_id))
            date.fromisoformat(decrypt(birth, "employees", "birth_date_enc", emp_id))
            rows += 1
    return time.perf_counter() - began, rows


def sweep(store: Store):
    began = time.perf_counter()
    report = sweep_milestones(scheduler_uow(store), store.clock, SweepOptions(), scheduler_reader(store))
    return time.perf_counter() - began, report


@contextmanager
def database(kind: str, server: str | None) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    url = make_url(normalise_url(server))
    name = f"plaudit_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(kind: str, url: str, count: int) -> None:
    store = Store.open(
        url, Keyring.parse(f"k1:{generate_key()}"), BlindIndex.from_text(generate_key()), FakeClock(NOW)
    )
    migrate.upgrade(store.engine)
    seeded = seed(store, count)
    if kind == "postgres":
        with store.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    raw_read(store)  # warm the caches both measurements share
    raw, rows = raw_read(store)
    first, report = sweep(store)
    # Interleaved, best of three: other work on the machine slows both alike.
    raw = min([raw] + [raw_read(store)[0] for _ in range(2)])
    runs = []
    for _ in range(3):
        runs.append(sweep(store))
        raw = min(raw, raw_read(store)[0])
    second, again = min(runs, key=lambda run: run[0])
    store.clock.advance(days=1)  # the steady state: one new day of anniversaries and birthdays
    next_day, daily = sweep(store)
    print(f"{kind:<9} {rows:>7} employees   seed {seeded:6.2f} s")
    print(f"{'':<9} raw read + decrypt          {raw:6.2f} s   (baseline, best of 6)")
    print(f"{'':<9} sweep, first (awards {report.awarded:>5})  {first:6.2f} s   {first / raw:4.2f}x baseline")
    print(
        f"{'':<9} sweep, again (awards {again.awarded:>5})  {second:6.2f} s   "
        f"{second / raw:4.2f}x baseline (best of 3)"
    )
    print(
        f"{'':<9} sweep, next day (awards {daily.awarded:>4}) {next_day:6.2f} s   "
        f"{next_day / raw:4.2f}x baseline"
    )
    store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--postgres", default=os.environ.get("PLAUDIT_TEST_POSTGRES_URL"))
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args(argv)
    kinds = ([] if args.skip_sqlite else ["sqlite"]) + (["postgres"] if args.postgres else [])
    for kind in kinds:
        with database(kind, args.postgres) as url:
            run(kind, url, args.employees)
    if not args.postgres:
        print("PostgreSQL skipped: pass --postgres URL or set PLAUDIT_TEST_POSTGRES_URL", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
