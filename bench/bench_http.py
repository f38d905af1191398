"""HTTP helpers for the benchmarks: a gunicorn server on loopback and closed-loop load."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn serving `app_args` until the `with` block ends: `workers` processes, each
    with `threads` threads (gthread) or, with one thread, the sync worker."""

    def __init__(
        self, app_args: list[str], port: int, env: dict[str, str], workers: int = 2, threads: int = 1
    ) -> None:
        self.port, self.base = port, f"127.0.0.1:{port}"
        kind = ["-k", "gthread", "--threads", str(threads)] if threads > 1 else ["-k", "sync"]
        self.command = [
            GUNICORN,
            "-w",
            str(workers),
            *kind,
            "-b",
            self.base,
            "--log-level",
            "warning",
            *app_args,
        ]
        self.env = env

    def __enter__(self) -> Server:
        self.process = subprocess.Popen(self.command, env=self.env)
        deadline = time.monotonic() + 30
        answered = 0
        while time.monotonic() < deadline and answered < 20:  # until both workers have booted
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/healthz")
                conn.getresponse().read()
                conn.close()
                answered += 1
            except OSError:
                time.sleep(0.1)
        if answered >= 20:
            return self
        self.process.kill()
        raise RuntimeError("the server did not start")

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def post(base: str, path: str, token: str, body, key: str | None = None) -> tuple[int, bytes]:
    host, port = base.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if key:
        headers["Idempotency-Key"] = key
    conn.request("POST", path, json.dumps(body), headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, data


def request_rate(base: str, path: str, token: str, seconds: float, clients: int, body_for) -> float:
    """Completed 2xx requests per second with `clients` threads sending back to back (after a
    one-second warm-up at the same load)."""
    _load(base, path, token, 1.0, clients, body_for)
    return _load(base, path, token, seconds, clients, body_for)


def _load(base: str, path: str, token: str, seconds: float, clients: int, body_for) -> float:
    done, errors, stop = [0], [0], time.monotonic() + seconds
    lock = threading.Lock()

    def run(worker: int) -> None:
        n = worker * 1_000_000
        while time.monotonic() < stop:
            status, _ = post(base, path, token, body_for(n), key=uuid.uuid4().hex)
            n += 1
            with lock:
                if 200 <= status < 300:
                    done[0] += 1
                else:
                    errors[0] += 1

    start = time.monotonic()
    threads = [threading.Thread(target=run, args=(w,)) for w in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors[0]:
        print(f"  ({errors[0]} requests to {path} failed)", file=sys.stderr)
    return done[0] / (time.monotonic() - start)


def batch_rate(base: str, token: str, externals: list[str], batches: int) -> float:
    """Awards per second of `POST /api/v1/awards/batch`, the median of `batches` runs."""
    rates = []
    for run in range(batches):
        body = {
            "reason": f"bench batch {run}",
            "items": [
                {"employee_id": external, "points": 1 + (i % 5)} for i, external in enumerate(externals)
            ],
        }
        started = time.monotonic()
        status, data = post(base, "/api/v1/awards/batch", token, body, key=uuid.uuid4().hex)
        elapsed = time.monotonic() - started
        if status != 201:
            raise RuntimeError(f"batch failed: {status} {data[:300]!r}")
        rates.append(len(externals) / elapsed)
    return sorted(rates)[len(rates) // 2]
