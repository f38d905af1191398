"""Awards over HTTP: single-award requests/s and batch awards/s on SQLite and PostgreSQL.

Printed beside baselines measured in the same run: a Flask hello-world POST served the same
way (gunicorn, 2 sync workers unless --workers/--threads say otherwise, loopback; measured
before and after, shares taken of the mean), a raw executemany insert of the same posting rows,
and a floor (bench/floor_award.py: Flask plus a single award's statements on the raw driver).
Usage: .venv/bin/python bench/api_awards.py [--postgres URL] [--seconds 5] [--batch 10000]
(PostgreSQL also comes from PLAUDIT_TEST_POSTGRES_URL; without either only SQLite runs.)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_http import Server, batch_rate, free_port, request_rate  # noqa: E402
from bench_setup import prepared_store, raw_executemany_rate  # noqa: E402
from storage.database.engine import normalise_url  # noqa: E402


def fresh_postgres(base: str) -> tuple[str, callable]:
    url = make_url(normalise_url(base))
    name = f"plaudit_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


def measure(label: str, url: str, args, served: tuple[int, int], hello_rate) -> None:
    env, token, externals = prepared_store(url, args.batch)

    def one_award(n: int) -> dict:
        return {"employee_ids": [externals[n % 100]], "points": 1, "reason": "bench"}

    with Server(["plaudit.wsgi:app"], free_port(), env, *served) as api:
        single = request_rate(api.base, "/api/v1/awards", token, args.seconds, args.clients, one_award)
        batch = batch_rate(api.base, token, externals, args.batches)
    floor = None
    if not args.no_floor:  # the same statements on the raw driver, on the same database
        bench_dir = str(Path(__file__).resolve().parent)
        with Server(["floor_award:app", "--pythonpath", bench_dir], free_port(), env, *served) as raw:
            floor = request_rate(raw.base, "/floor/awards", "", args.seconds, args.clients, one_award)
    hello = hello_rate(served)
    print(
        f"{label:10} single award: {single:8.0f} req/s  ({single / hello:5.0%} of hello-world; target 40%)",
        flush=True,
    )
    if floor is not None:
        print(
            f"{label:10} floor (Flask + an award's SQL on the raw driver, no rules): {floor:8.0f} req/s"
            f"  ({floor / hello:5.0%} of hello-world; Plaudit reaches {single / floor:4.0%} of it)"
        )
    raw = raw_executemany_rate(url, args.batch)
    print(
        f"{label:10} batch awards: {batch:8.0f} awards/s  (raw executemany of the same rows:"
        f" {raw:8.0f} rows/s)"
    )


def concurrency(args, *, sqlite: bool) -> tuple[int, int]:
    """Workers and threads: as given, else 2 sync workers (one request at a time each).

    `plaudit serve`'s threaded default (`--threads 8`) measured slower for API awards here
    (PostgreSQL 275 against 408 awards/s, 2026-11-26): threads of one process share the GIL.
    """
    return args.workers or 2, args.threads or 1


def hello_world_rate(args, served: tuple[int, int]) -> float:
    bench_dir = str(Path(__file__).resolve().parent)
    with Server(
        ["hello_wsgi:app", "--pythonpath", bench_dir], free_port(), dict(os.environ), *served
    ) as hello:
        rate = request_rate(hello.base, "/hello", "", args.seconds, args.clients, lambda n: {})
    workers, threads = served
    print(
        f"{'baseline':10} Flask hello-world POST: {rate:8.0f} req/s (gunicorn {workers} workers"
        f" x {threads} threads, {args.clients} clients, loopback)",
        flush=True,
    )
    return rate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get("PLAUDIT_TEST_POSTGRES_URL"))
    parser.add_argument("--seconds", type=float, default=5.0, help="per request-rate measurement")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument("--batch", type=int, default=10_000, help="awards per batch")
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--workers", type=int, help="gunicorn workers for both apps (default 2)")
    parser.add_argument("--threads", type=int, help="threads per worker (default 1: sync)")
    parser.add_argument(
        "--no-floor",
        action="store_true",
        help="skip the floor: Flask plus an award's SQL on the raw driver (floor_award.py)",
    )
    args = parser.parse_args(argv)
    # The machine drifts: hello-world is measured before the awards and again after each
    # database's runs; shares are of the mean of its runs so far with those settings.
    hello_rates: dict[tuple[int, int], list[float]] = {}

    def hello_rate(served: tuple[int, int]) -> float:
        hello_rates.setdefault(served, []).append(hello_world_rate(args, served))
        return sum(hello_rates[served]) / len(hello_rates[served])

    with tempfile.TemporaryDirectory() as tmp:
        served = concurrency(args, sqlite=True)
        hello_rate(served)
        measure("sqlite", f"sqlite:///{tmp}/bench.db", args, served, hello_rate)
    if args.postgres:
        url, drop = fresh_postgres(args.postgres)
        try:
            served = concurrency(args, sqlite=False)
            measure("postgresql", url, args, served, hello_rate)
        finally:
            drop()
    else:
        print("postgresql skipped: pass --postgres URL or set PLAUDIT_TEST_POSTGRES_URL")
    return 0


if __name__ == "__main__":
    sys.exit(main())
