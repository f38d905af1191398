"""Scale-out: sustained mixed load on ONE and then TWO app server processes on PostgreSQL.

Each configuration gets a fresh database, 50 employees synced over the API (wallets funded,
allowances granted by `plaudit scheduler --once`) and the same closed-loop mix from the same
number of client threads: signed `/kudos` gives (~40%), API awards (~25%), API redemptions of
an item needing approval (~25%) and their approvals (~10%). Both are measured in the same run
and printed side by side: requests/s, p50/p99 latency, errors (no answer or 5xx) and refusals
(business 4xx, e.g. insufficient points).

Why two servers may not double the figure here: this machine has 2 cores, shared by the app
servers, PostgreSQL and this load generator (whose threads sign requests and parse answers under
one GIL). One server already keeps both cores partly busy (its worker, plus PostgreSQL); the
second server mostly adds concurrency, not CPU. The "cores busy" rows say where the CPU went
during each measurement (this process, the app servers' process groups, the whole machine from
/proc/stat): when the whole machine is at its core count, a second server cannot add
throughput and only lengthens the tail latency. On hosts with a core or more per server and a
separate database host, throughput scales with servers until PostgreSQL is the bottleneck.

Usage: .venv/bin/python bench/scale_out.py [--postgres-url URL] [--seconds 20] [--clients 8]
(the URL also comes from PLAUDIT_TEST_POSTGRES_URL or PLAUDIT_BENCH_POSTGRES_URL).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import fresh_database  # noqa: E402
from bot.simulator.fake_slack import FakeSlack  # noqa: E402
from tests.scale.cluster import Cluster, api  # noqa: E402
from tests.scale.load import Load, Outcome, catalog_item, seed_people  # noqa: E402

PEOPLE = 50
SETTINGS = {
    "PLAUDIT_ALLOWANCE_POINTS": "1000000",
    "PLAUDIT_DAILY_CAP_PER_RECIPIENT": "100000000",
    "PLAUDIT_LOG_LEVEL": "WARNING",
}


def prepare(cluster: Cluster, port: int, fake: FakeSlack) -> Load:
    client_id, token = cluster.api_client(port)
    people = seed_people(port, token, PEOPLE, fake)
    status, body = api(
        port,
        "POST",
        "/api/v1/awards/batch",
        token,
        {"reason": "bench funding", "items": [{"employee_id": e, "points": 100_000} for e, _ in people]},
        "bench-funding",
    )
    assert status == 201, body
    cluster.run_cli("scheduler", "--once")  # this period's allowances, before the clock starts
    return Load([port], token, client_id, people, catalog_item(port, token, cost=1))


def machine_busy() -> float:
    """CPU seconds spent non-idle by the whole machine so far (Linux /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def session_cpu(sessions: set[int]) -> float:
    """CPU seconds used so far by every process in the given sessions (the app servers)."""
    used = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) in sessions:
            used += int(fields[11]) + int(fields[12])
    return used / os.sysconf("SC_CLK_TCK")


def cpu_now(sessions: set[int]) -> tuple[float, float, float]:
    return time.process_time(), session_cpu(sessions), machine_busy()


def measure(servers: int, args, fake: FakeSlack) -> tuple[list[Outcome], float, list[float]]:
    with fresh_database("postgres") as url, tempfile.TemporaryDirectory() as folder:
        cluster = Cluster(url, Path(folder), fake.url, dict(SETTINGS))
        try:
            started = [cluster.server(f"app-{n}") for n in range(servers)]
            cluster.wait_ready(started)
            load = prepare(cluster, started[0].port, fake)
            load.ports = [s.port for s in started]
            load.run(args.warmup, args.clients)
            load.outcomes = []
            sessions = {s.popen.pid for s in started}
            began, cpu = time.monotonic(), cpu_now(sessions)
            outcomes = load.run(args.seconds, args.clients)
            elapsed = time.monotonic() - began
            used = [(b - a) / elapsed for a, b in zip(cpu, cpu_now(sessions), strict=True)]
            return outcomes, elapsed, used
        finally:
            cluster.stop_all()


def figures(outcomes: list[Outcome], elapsed: float, cores: list[float]) -> dict[str, str]:
    times = sorted(o.seconds for o in outcomes)
    kinds = Counter(o.kind for o in outcomes)
    return {
        "requests/s": f"{len(outcomes) / elapsed:.1f}",
        "accepted/s": f"{sum(1 for o in outcomes if o.accepted) / elapsed:.1f}",
        "p50 latency (ms)": f"{times[len(times) // 2] * 1000:.1f}",
        "p99 latency (ms)": f"{times[min(len(times) - 1, int(len(times) * 0.99))] * 1000:.1f}",
        "errors (no answer, 5xx)": str(sum(1 for o in outcomes if o.accepted is None)),
        "refused (4xx)": str(sum(1 for o in outcomes if o.accepted is False)),
        "requests": str(len(outcomes)),
        "  kudos/award/redeem/approve": "/".join(
            str(kinds[k]) for k in ("kudos", "award", "redeem", "approve")
        ),
        "cores busy: load generator": f"{cores[0]:.2f}",
        "cores busy: app servers": f"{cores[1]:.2f}",
        "cores busy: whole machine": f"{cores[2]:.2f}",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("PLAUDIT_BENCH_POSTGRES_URL") or os.environ.get("PLAUDIT_TEST_POSTGRES_URL"),
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="measured, per configuration")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--clients", type=int, default=8, help="closed-loop client threads")
    args = parser.parse_args(argv)
    if not args.postgres_url:
        parser.error("give --postgres-url or set PLAUDIT_TEST_POSTGRES_URL")
    os.environ["PLAUDIT_BENCH_POSTGRES_URL"] = args.postgres_url  # read by fresh_database
    with FakeSlack() as fake:
        one = figures(*measure(1, args, fake))
        two = figures(*measure(2, args, fake))
    print(
        f"\nMixed load, {args.clients} client threads, {args.seconds:.0f} s each, "
        f"{os.cpu_count()} cores; app servers: plaudit serve --workers 1 --threads 4"
    )
    width = max(len(name) for name in one) + 2
    print(f"{'measure'.ljust(width)}{'1 server':>20}{'2 servers':>20}")
    for name in one:
        print(f"{name.ljust(width)}{one[name]:>20}{two[name]:>20}")
    ratio = float(two["requests/s"]) / float(one["requests/s"])
    print(f"two servers give {ratio:.2f}x the requests/s of one (same run, same load)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
