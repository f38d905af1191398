"""Recipient DM latency and outbox drain rate, wake on commit beside the periodic sweep alone, same run.

    .venv/bin/python bench/delivery.py [--quick] [--seconds 15] [--postgres URL] [--backends sqlite]

Latency: a probe in this process awards one point over HTTP every --interval seconds (one
request at a time, to one of a few probe recipients so Slack's per-channel pacing never holds it)
and notes when the fake Slack receives that DM. Figures are from the award's response (the
commit is before it: a slight underestimate of commit -> DM) and from the request (an upper
bound). Measured at rest and while wrk sends 32 concurrent HTTP awards (to 1,000 employees, so
each DM channel stays under Slack's one message a second): flat out, and paced to --paced-rate
awards/s in all (wrk's per-connection delay), on SQLite (one `plaudit serve`) and
PostgreSQL (two, one database, the scheduler elected on one), with PLAUDIT_OUTBOX_WAKE on and off.

Drain: --drain-messages deliverable messages (half Slack DMs, half posts to a webhook receiver
that answers at once) are queued with the servers stopped, plus as many posts to a receiver that
accepts and never answers; then the servers start and the time until every deliverable message
is delivered is taken, with the fake Slack answering 429 (Retry-After: 1) to every --every-429-th
post. Capped at --drain-seconds; what is left is reported.

PostgreSQL comes from --postgres or PLAUDIT_TEST_POSTGRES_URL; a database is created and dropped.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import fresh_database  # noqa: E402
from delivery_world import HungReceiver, Receiver, RecordingSlack, Servers, World  # noqa: E402

WRK = "/usr/bin/wrk"
PROBES = 8
PROBE_NUMBERS = itertools.count()  # unique over the run, so a late DM is never taken for a new probe
WRK_SCRIPT = """
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("me", threads)
end
local n = 0
local prefix = "{prefix}"
request = function()
  n = n + 1
  local who = (n * 7919 + me * 104729) % {employees}
  local body = '{{"employee_ids":["B-' .. who .. '"],"points":1,"reason":"load"}}'
  return wrk.format("POST", "/api/v1/awards", {{
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer {token}",
    ["Idempotency-Key"] = prefix .. "-" .. me .. "-" .. n,
  }}, body)
end
delay = function()
  return {think}
end
done = function(summary, latency, requests)
  io.write(string.format("WRK %d %d %d\\n", summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if "postgresql" in backends and not args.postgres:
        print("postgresql skipped: pass --postgres URL or set PLAUDIT_TEST_POSTGRES_URL")
        backends.remove("postgresql")
    if args.postgres:
        os.environ["PLAUDIT_BENCH_POSTGRES_URL"] = args.postgres  # what common.fresh_database reads
    started = time.monotonic()
    latency_rows: list[list[str]] = []
    drain_rows: list[list[str]] = []
    with tempfile.TemporaryDirectory(prefix="plaudit-delivery-") as tmp, RecordingSlack() as slack:
        for backend in backends:
            servers = 1 if backend == "sqlite" else 2
            with fresh_database(backend) as url:
                world = World(url, slack, args.employees, PROBES)
                try:
                    for wake in ("on", "off"):
                        latency_rows += latency(world, slack, args, backend, servers, wake, Path(tmp))
                    good, hung = Receiver(), HungReceiver()
                    try:
                        world.subscribe(good.url)
                        hung_sub = world.subscribe(hung.url)
                        for wake in ("on", "off"):
                            drain_rows.append(
                                drain(
                                    world,
                                    slack,
                                    (good, hung, hung_sub),
                                    args,
                                    backend,
                                    servers,
                                    wake,
                                    Path(tmp),
                                )
                            )
                    finally:
                        good.close()
                        hung.close()
                finally:
                    world.close()
    report(latency_rows, drain_rows, args, time.monotonic() - started)
    return 0


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short phases: 5 s, 2,000 messages, 40 s cap")
    parser.add_argument("--seconds", type=float, default=15.0, help="probing time per phase")
    parser.add_argument("--interval", type=float, default=0.25, help="seconds between probe awards")
    parser.add_argument("--connections", type=int, default=32, help="wrk's concurrent awarders")
    parser.add_argument(
        "--paced-rate", type=float, default=100.0, help="also under this offered awards/s (0: flat out only)"
    )
    parser.add_argument("--employees", type=int, default=1000, help="recipients of the background load")
    parser.add_argument("--drain-messages", type=int, default=10_000, help="deliverable messages queued")
    parser.add_argument("--drain-seconds", type=float, default=60.0, help="give up draining after this")
    parser.add_argument("--every-429", type=int, default=10, help="answer 429 to every n-th post (0: never)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--postgres", default=os.environ.get("PLAUDIT_TEST_POSTGRES_URL"))
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.drain_messages, args.drain_seconds = 5.0, 2000, 40.0
    if args.seconds <= 0 or args.interval <= 0 or args.connections < 1 or args.drain_messages < 2:
        parser.error(
            "--seconds and --interval must be positive, --connections at least 1, --drain-messages at least 2"
        )
    if not 1 <= args.employees <= 10_000:
        parser.error("--employees must be from 1 to 10000")
    return args


def latency(world, slack, args, backend: str, count: int, wake: str, tmp: Path) -> list[list[str]]:
    """Probe at rest, then under wrk's load; one table row each."""
    world.clear_outbox()
    rows = []
    with Servers(world.env, count, tmp, {"PLAUDIT_OUTBOX_WAKE": wake}) as servers:
        roles = "; ".join("/".join(sorted(r)) for r in servers.roles())
        wait_until(lambda: world.pending() == 0, 20)
        label = f"{backend} x{count}"
        slack.forget()
        rows.append(row(label, wake, "at rest", probe(world, slack, servers.ports, args), "-", roles))
        loads = [("flat out", 0)]
        if args.paced_rate > 0:  # each connection waits so that together they offer this rate
            loads.append((f"{args.paced_rate:g}/s offered", int(args.connections * 1000 / args.paced_rate)))
        for name, think_ms in loads:
            wrks = start_wrk(world, servers.ports, args, tmp, think_ms)
            time.sleep(1.0)  # the load is on before the first probe
            measured = probe(world, slack, servers.ports, args)
            rps = finish_wrk(wrks, args.seconds + 2)
            rows.append(row(label, wake, f"{args.connections} awarders, {name}", measured, rps, roles))
            wait_until(lambda: world.pending() == 0, 30, step=0.5)  # the next phase starts level
    return rows


def probe(world, slack, ports: list[int], args) -> dict:
    """Award probe points one at a time for --seconds; the latencies of the DMs that arrived."""
    conns = {port: http.client.HTTPConnection("127.0.0.1", port, timeout=30) for port in ports}
    sent: dict[int, tuple[float, float]] = {}
    failed = 0
    deadline = time.monotonic() + args.seconds
    for n in PROBE_NUMBERS:
        began = time.monotonic()
        if began >= deadline:
            break
        port = ports[n % len(ports)]
        body = {"employee_ids": [f"P-{n % PROBES}"], "points": 1, "reason": f"probe-{n}"}
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {world.token}",
            "Idempotency-Key": uuid.uuid4().hex,
        }
        try:
            conns[port].request("POST", "/api/v1/awards", json.dumps(body), headers)
            response = conns[port].getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            conns[port].close()
            status = 0
        answered = time.monotonic()
        if status == 201:
            sent[n] = (began, answered)
        else:
            failed += 1
        time.sleep(max(0.0, began + args.interval - time.monotonic()))
    give_up = time.monotonic() + max(15.0, args.seconds)  # the sweep alone may lag far behind
    wait_until(lambda: all(n in slack.arrivals for n in sent), give_up - time.monotonic())
    for conn in conns.values():
        conn.close()
    arrivals = dict(slack.arrivals)
    from_response = sorted(max(0.0, arrivals[n] - a) for n, (_, a) in sent.items() if n in arrivals)
    from_request = sorted(arrivals[n] - b for n, (b, _) in sent.items() if n in arrivals)
    return {
        "from_response": from_response,
        "from_request": from_request,
        "missing": len(sent) - len(from_response),
        "failed": failed,
    }


def start_wrk(world, ports: list[int], args, tmp: Path, think_ms: int) -> list[subprocess.Popen]:
    """wrk on each server, the connections shared between them, for the probe's time and a margin."""
    procs = []
    per = max(1, args.connections // len(ports))
    for port in ports:
        script = tmp / f"awards-{port}.lua"
        script.write_text(
            WRK_SCRIPT.format(
                prefix=uuid.uuid4().hex[:12], employees=args.employees, token=world.token, think=think_ms
            )
        )
        command = [
            WRK,
            f"-t{min(2, per)}",
            f"-c{per}",
            f"-d{int(args.seconds + 2)}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ]
        procs.append(subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    return procs


def finish_wrk(procs: list[subprocess.Popen], seconds: float) -> str:
    """Completed requests per second over all wrk processes (and failures, if any)."""
    done = bad = 0
    for proc in procs:
        out, _ = proc.communicate(timeout=seconds + 60)
        found = re.search(r"WRK (\d+) (\d+) (\d+)", out)
        if not found:
            raise SystemExit(f"wrk failed: {out[-500:]}")
        requests, status_errors, socket_errors = map(int, found.groups())
        done += requests - status_errors
        bad += status_errors + socket_errors
    return f"{done / seconds:.0f}/s" + (f" ({bad} failed)" if bad else "")


def drain(world, slack, receivers, args, backend: str, count: int, wake: str, tmp: Path) -> list[str]:
    """Queue the messages with no server running, start the servers, time the drain."""
    good, hung, hung_sub = receivers
    events = args.drain_messages // 2
    world.clear_outbox()
    world.queue_awards(events)
    queued = sum(n for (_, _, sub), n in world.outbox_counts().items() if sub != hung_sub)
    slack.forget()
    good.count = 0
    before_hung = len(hung.accepted)
    slack.every_429 = args.every_429
    try:
        with Servers(world.env, count, tmp, {"PLAUDIT_OUTBOX_WAKE": wake}):
            started = time.monotonic()

            def left() -> int:
                counts = world.outbox_counts()
                return sum(n for (s, _, sub), n in counts.items() if s == "pending" and sub != hung_sub)

            drained = wait_until(lambda: left() == 0, args.drain_seconds, step=0.5)
            elapsed = time.monotonic() - started
    finally:
        slack.every_429 = 0
    counts = world.outbox_counts()
    delivered = sum(n for (s, _, sub), n in counts.items() if s == "delivered" and sub != hung_sub)
    dead = sum(n for (s, _, sub), n in counts.items() if s == "dead" and sub != hung_sub)
    return [
        f"{backend} x{count}",
        wake,
        f"{queued:,}",
        f"{delivered:,}" + (f" ({dead} dead)" if dead else ""),
        f"{elapsed:.1f} s" if drained else f">{args.drain_seconds:.0f} s",
        f"{delivered / elapsed:.0f}/s",
        str(slack.answered_429),
        str(len(hung.accepted) - before_hung),
    ]


def wait_until(check, seconds: float, step: float = 0.02) -> bool:
    deadline = time.monotonic() + max(0.0, seconds)
    while True:
        if check():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(step)


def row(label: str, wake: str, phase: str, measured: dict, load: str, roles: str) -> list[str]:
    resp, req = measured["from_response"], measured["from_request"]
    note = []
    if measured["missing"]:
        note.append(f"{measured['missing']} DMs not in")
    if measured["failed"]:
        note.append(f"{measured['failed']} probes failed")
    return [
        label,
        wake,
        phase,
        str(len(resp)),
        ms(quantile(resp, 0.5)),
        ms(quantile(resp, 0.99)),
        ms(quantile(req, 0.5)),
        ms(quantile(req, 0.99)),
        load,
        ", ".join(note) or roles,
    ]


def quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return (
        statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1] if q < 1 else values[-1]
    )


def ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.0f} ms"


def table(headers: list[str], rows: list[list[str]]) -> None:
    if not rows:
        print("(nothing measured)")
        return
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))


def report(latency_rows: list[list[str]], drain_rows: list[list[str]], args, seconds: float) -> None:
    print(f"\nRecipient DM latency (award -> fake Slack receives the DM), probe every {args.interval:g} s")
    print("target: median under 300 ms, p99 under 1 s; wake off = the periodic sweep alone (baseline)")
    table(
        [
            "database",
            "wake",
            "load",
            "n",
            "median",
            "p99",
            "median*",
            "p99*",
            "wrk awards",
            "scheduler roles / note",
        ],
        latency_rows,
    )
    print("(median, p99: from the award's response; median*, p99*: from sending the award request)")
    print(
        f"\nOutbox drain: half Slack DMs (429 to every {args.every_429}th post), half a webhook receiver;"
        " plus as many to a receiver that never answers"
    )
    table(
        ["database", "wake", "queued", "delivered", "time", "rate", "429s", "hung conns"],
        drain_rows,
    )
    print(f"\nwhole run: {seconds:.0f} s, {os.cpu_count()} cores, wrk {WRK}")


if __name__ == "__main__":
    sys.exit(main())
