"""SCIM /Users list latency by filter at N people (SQLite or PostgreSQL), with a same-run baseline.

    .venv/bin/python -m bench.scim_filters --backend sqlite --people 5000 [--baseline] [--runs 3]

Builds a fresh database of N provisioned people (encrypted like every door stores them), then
times GET /scim/v2/Users?filter=...&count=100 through the Flask test client (no network). With
--baseline it also times, in the same run, the old evaluation: every served person turned into a
pydantic SCIM User and matched with `ScimFilter.match` (`api.scim.users._matching_by_models`).
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from api.app import create_app
from api.config import ApiConfig
from bench.common import fresh_database, open_store, print_table
from rewards.model import Employee, EmployeeStatus
from storage.access.scim_tokens import create_token

FILTERS = [
    'displayName co "lima"',
    'userName sw "user1"',
    'emails.value co "@other"',
    "externalId pr",
    "active eq false",
    'active eq true and displayName co "lima"',
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department ne "Sales"',
    'userName eq "user4242@corp.example"',
    "",  # no filter: the first page
]
BATCH = 1000
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def build(store, people: int) -> None:
    """N people as SCIM provisions them: userName, email, externalId, HR id, department."""
    for first in range(0, people, BATCH):
        with store.uow() as uow:
            for i in range(first, min(first + BATCH, people)):
                domain = "other.example" if i % 7 == 0 else "corp.example"
                uow.employees.add(
                    Employee(
                        id=f"00000000-0000-4000-8000-{i:012d}",
                        user_name=f"user{i}@corp.example",
                        email=f"user{i}@{domain}",
                        display_name=f"Person {i} {'Lima' if i % 10 == 0 else 'Stone'}",
                        directory_id=f"idp-{i}" if i % 3 else None,
                        external_id=f"E-{i}",
                        department="Sales" if i % 4 == 0 else "Support",
                        timezone="Europe/Paris",
                        status=EmployeeStatus.INACTIVE if i % 20 == 0 else EmployeeStatus.ACTIVE,
                        created_at=START + timedelta(seconds=i),
                        updated_at=START + timedelta(seconds=i),
                    )
                )
            uow.commit()


def timed(work, runs: int) -> tuple[float, float, object]:
    """The median wall time and this process's median CPU time in ms of `runs` calls, and the
    last result (CPU time: the machine is shared, so wall time carries everyone else's load)."""
    walls, cpus, result = [], [], None
    for _ in range(runs):
        started, cpu = time.perf_counter(), time.process_time()
        result = work()
        walls.append((time.perf_counter() - started) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return statistics.median(walls), statistics.median(cpus), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", action="store_true", help="also time the model-per-person path")
    args = parser.parse_args()
    with fresh_database(args.backend) as url:
        store = open_store(url)
        started = time.perf_counter()
        build(store, args.people)
        print(f"built {args.people} people on {args.backend} in {time.perf_counter() - started:.1f} s")
        config = ApiConfig(rate_limit_per_second=0, scim_rate_per_second=1e6, scim_rate_burst=10**7)
        app = create_app(store, config=config)
        _, secret = create_token(store, "bench")
        client = app.test_client()
        headers = {"Authorization": f"Bearer {secret}"}
        rows = []
        for expression in FILTERS:
            query = (
                f"/scim/v2/Users?count=100&filter={quote(expression)}"
                if expression
                else "/scim/v2/Users?count=100"
            )

            def call(query: str = query) -> dict:
                response = client.get(query, headers=headers)
                assert response.status_code == 200, response.get_json()
                return response.get_json()

            call()  # warm: compiled statements, models
            ms, cpu, body = timed(call, args.runs)
            note = f"cpu {cpu:,.0f} ms; {body['totalResults']} match"  # type: ignore[index]
            if args.baseline and expression:
                ms_old, cpu_old, total_old = timed(lambda e=expression: _old(app, store, e), 1)
                note += f"; models-per-person {ms_old:,.0f} ms, cpu {cpu_old:,.0f} ms ({total_old} match)"
            rows.append((expression or "(no filter)", f"{ms:,.1f} ms", note))
        print_table(
            f"GET /Users?count=100, {args.people} people, {args.backend}, median of {args.runs}", rows
        )
        store.close()


def _old(app, store, expression: str) -> int:
    """The old evaluation of a filter: every candidate as a pydantic User, then match."""
    from api.scim import filters, users
    from api.scim.user_mapping import ScimUser

    with app.test_request_context("/scim/v2/Users"):
        parsed = filters.parse(ScimUser, expression)
        with store.reader() as uow:
            ids = filters.candidates(
                parsed.ast, users.index_lookups(uow)
            )  # eq on an index narrowed before too
            return len(users._matching_by_models(uow, parsed, ids))


if __name__ == "__main__":
    main()
