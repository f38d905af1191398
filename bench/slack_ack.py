"""Signed /kudos gives through gunicorn against a fake Slack, beside a bare Bolt app, same run.

    python bench/slack_ack.py [--seconds 20] [--senders 32] [--postgres-url postgresql://…/emptydb]
                              [--value teamwork]

Prints requests/s and p50/p99 latency for each app. Targets: Plaudit at least half the bare
app's throughput, and p99 under 250 ms, with 32 concurrent senders.

After each Plaudit run, a floor (bench/floor_give.py: bare Bolt plus the statements of a give on
the raw driver, no rules, no Plaudit code) is measured on the same database and settings: no
implementation of a give can pass it, so it tells how much of the gap is the database's.

Each Plaudit run is served with `plaudit serve`'s default workers x threads for its database
(plaudit.gunicorn_server.default_concurrency, unless --workers/--threads say otherwise), and the bare
app is measured with the same gunicorn settings, so each comparison is like for like.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.simulator.fake_slack import FakeSlack  # noqa: E402
from bot.simulator.signed_requests import signed_headers  # noqa: E402
from plaudit.gunicorn_server import default_concurrency  # noqa: E402
from storage.encryption.ciphers import generate_key  # noqa: E402

SECRET = "bench-signing-secret"
USERS = [f"UB{n:04d}" for n in range(64)]
PROCESSES = 4


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn(
    target: str, port: int, env: dict[str, str], workers: int, threads: int, senders: int = 32
) -> subprocess.Popen:
    # Each worker holds at most its share of the senders' kept-alive connections: otherwise
    # one worker may take most of them and the other core idles (the run's figure then
    # depends on how the connections happened to land, not on the app).
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        target,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        "gthread",
        "--worker-connections",
        str(-(-senders // workers)),
        "--log-level",
        "warning",
        "--chdir",
        str(ROOT / "bench"),
    ]
    return subprocess.Popen(command, env={**os.environ, **env})


def wait_ready(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server on port {port} did not start")


def command_body(user: str, text: str, command: str, trigger: str) -> bytes:
    return urlencode(
        {
            "team_id": "T0PLAUDIT",
            "channel_id": "C0BENCH",
            "user_id": user,
            "command": command,
            "text": text,
            "trigger_id": trigger,
            "response_url": "https://hooks.example/x",
        }
    ).encode()


def send(conn: http.client.HTTPConnection, body: bytes) -> tuple[int, bytes]:
    conn.request(
        "POST",
        "/slack/events",
        body=body,
        headers=signed_headers(SECRET, body, "application/x-www-form-urlencoded"),
    )
    response = conn.getresponse()
    return response.status, response.read()


def sender(port: int, command: str, seconds: float, worker: int, out: list, value: str | None = None) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies, errors = [], 0
    serial = itertools.count()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        n = next(serial)
        giver, receiver = USERS[(worker + n) % 64], USERS[(worker + n + 1 + n % 7) % 64]
        tag = f" #{value}" if value else ""
        text = f"<@{receiver}> 1{tag} for the benchmark" if command == "/kudos" else ""
        body = command_body(giver, text, command, f"bench.{worker}.{n}.{time.time_ns()}")
        started = time.perf_counter()
        try:
            status, payload = send(conn, body)
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            errors += 1
            continue
        latencies.append(time.perf_counter() - started)
        if status != 200 or (command == "/kudos" and b"in_channel" not in payload):
            errors += 1
    out.append((latencies, errors))


def process_main(
    port: int, command: str, seconds: float, first: int, threads: int, queue, value: str | None = None
) -> None:
    out: list = []
    pool = [
        threading.Thread(target=sender, args=(port, command, seconds, first + i, out, value))
        for i in range(threads)
    ]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    queue.put(([x for lat, _ in out for x in lat], sum(e for _, e in out)))


def load(port: int, command: str, seconds: float, senders: int, value: str | None = None) -> dict:
    queue = multiprocessing.Queue()
    per = senders // PROCESSES
    procs = [
        multiprocessing.Process(
            target=process_main, args=(port, command, seconds, i * per, per, queue, value)
        )
        for i in range(PROCESSES)
    ]
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    latencies = sorted(x for lat, _ in results for x in lat)
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "rps": len(latencies) / seconds,
        "p50": cuts[49] * 1000,
        "p99": cuts[98] * 1000,
        "errors": sum(e for _, e in results),
        "n": len(latencies),
    }


def warm_up(port: int) -> None:
    """Every bench user is met once (users.info, first allowance) before timing starts."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for user in USERS:
        status, payload = send(conn, command_body(user, "balance", "/kudos", f"warm.{user}"))
        assert status == 200, payload


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--senders", type=int, default=32)
    parser.add_argument("--workers", type=int, help="default: plaudit serve's for the database")
    parser.add_argument("--threads", type=int, help="default: plaudit serve's for the database")
    parser.add_argument("--postgres-url", help="also measure Plaudit on this (empty) PostgreSQL database")
    parser.add_argument(
        "--value", help="tag every give with this company value (e.g. teamwork): more tally rows per give"
    )
    parser.add_argument(
        "--no-floor",
        action="store_true",
        help="skip the floor: bare Bolt plus a give's SQL on the raw driver (floor_give.py)",
    )
    parser.add_argument(
        "--one-row-floor",
        action="store_true",
        help="also measure bare Bolt plus a one-row write transaction per request",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as fake:
        for user in USERS:
            fake.add_user(user, name=user.lower(), email=f"{user.lower()}@bench.example")
        base = {
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_API_URL": fake.url,
            "PLAUDIT_ENCRYPTION_KEYS": f"b1:{generate_key()}",
            "PLAUDIT_BLIND_INDEX_KEY": generate_key(),
            "PLAUDIT_ALLOWANCE_POINTS": "10000000",
            "PLAUDIT_DAILY_CAP_PER_RECIPIENT": "10000000",
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": f"sqlite:///{tmp}/bench.db",
        }
        plaudit = [("SQLite", base, concurrency(args, sqlite=True))]
        if args.postgres_url:
            plaudit.append(
                ("Postgres", {**base, "DATABASE_URL": args.postgres_url}, concurrency(args, sqlite=False))
            )
        bare = {}  # gunicorn settings -> the bare app's figures with them
        results = []
        for database, env, served in plaudit:
            if served not in bare:
                bare[served] = measure("bare_bolt:app", "/noop", base, served, args)
                results.append(("bare Bolt /noop", served, dict(bare[served]), None, None))
            ours = measure("plaudit.wsgi:app", "/kudos", env, served, args)
            results.append((f"Plaudit give, {database}", served, ours, bare[served], None))
            if not args.no_floor:  # on the employees and accounts the Plaudit run created
                floor = measure("floor_give:app", "/kudos", env, served, args)
                results.append((f"floor, {database}", served, floor, bare[served], ours))
            if args.one_row_floor:
                one_row = measure("floor_give:app", "/kudos", {**env, "FLOOR_ONE_ROW": "1"}, served, args)
                results.append((f"one-row floor, {database}", served, one_row, bare[served], ours))
        for served, before in list(bare.items()):  # the machine drifts: bracket the runs
            after = measure("bare_bolt:app", "/noop", base, served, args)
            results.append(("bare Bolt /noop, again", served, after, None, None))
            before["rps"] = (before["rps"] + after["rps"]) / 2  # what the shares are taken of
        report(results, args)
    return 0


def concurrency(args, *, sqlite: bool) -> tuple[int, int]:
    """Workers and threads: as given, else what `plaudit serve` would use for this database."""
    workers, threads = default_concurrency(sqlite)
    return args.workers or workers, args.threads or threads


def measure(target: str, command: str, env: dict[str, str], served: tuple[int, int], args) -> dict:
    if command == "/kudos":
        subprocess.run(
            [sys.executable, "-m", "plaudit.cli", "db", "upgrade"],
            env={**os.environ, **env},
            check=True,
            capture_output=True,
        )
    port = free_port()
    server = gunicorn(target, port, env, *served, senders=args.senders)
    try:
        wait_ready(port)
        if command == "/kudos":
            warm_up(port)
        database = env.get("DATABASE_URL", "")
        before = cpu_seconds(server.pid, database)
        figures = load(port, command, args.seconds, args.senders, args.value if command == "/kudos" else None)
        after = cpu_seconds(server.pid, database)
        spent = sum(after.values()) - sum(before.get(pid, 0.0) for pid in after)
        figures["cpu_ms"] = 1000 * spent / max(figures["n"], 1)
        return figures
    finally:
        server.terminate()
        server.wait()


OUR_BACKENDS = (
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


def cpu_seconds(server_pid: int, database_url: str) -> dict[int, float]:
    """CPU time (user + system) so far of each gunicorn worker and, on PostgreSQL, of each server
    process connected to the bench's database: per request, a figure the other loads on a shared
    machine disturb far less than requests per second."""
    pids = [server_pid, *_children(server_pid)]
    if database_url.startswith("postgresql"):
        with psycopg.connect(database_url.replace("postgresql+psycopg", "postgresql")) as conn:
            pids += [pid for (pid,) in conn.execute(OUR_BACKENDS)]
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        found[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return found


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def report(results: list, args) -> None:
    print(
        f"\n{args.senders} concurrent senders, {args.seconds:.0f}s each, gunicorn gthread workers,"
        f" FakeSlack on loopback"
    )
    print(
        f"{'app':<24}{'served':>8}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'requests':>10}"
        f"{'cpu ms/req':>12}"
    )
    for name, (workers, threads), r, _bare, _ours in results:
        print(
            f"{name:<24}{f'{workers}x{threads}':>8}{r['rps']:>8.0f}{r['p50']:>9.1f}{r['p99']:>9.1f}"
            f"{r['errors']:>8}{r['n']:>10}{r['cpu_ms']:>12.2f}"
        )
    print("cpu ms/req: the gunicorn workers' CPU time and (PostgreSQL) its server processes', per request.")
    print("Shares are of the mean of the bare app's runs before and after.")
    for name, _served, figures, bare, plaudit in results:
        if bare is None:
            continue
        share = figures["rps"] / bare["rps"]  # of the mean of the bare runs before and after
        if plaudit is None:
            print(
                f"{name}: {share:.2f} of the bare app's throughput (target >= 0.50),"
                f" p99 {figures['p99']:.0f} ms (target < 250 ms)"
            )
        else:
            what = "a one-row write transaction" if name.startswith("one-row") else "the give's SQL"
            print(
                f"{name} (Bolt + {what}, raw driver, no rules): {share:.2f} of the bare app;"
                f" Plaudit reaches {plaudit['rps'] / figures['rps']:.2f} of this floor"
            )


if __name__ == "__main__":
    sys.exit(main())
