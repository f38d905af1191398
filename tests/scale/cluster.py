"""Real Plaudit processes on one database, for the scale-out tests and bench/scale_out.py.

App servers (`plaudit serve --no-scheduler`) and schedulers (`plaudit scheduler`) run as
subprocesses, each in its own session so a whole server (master and workers) can be killed at
once; their output goes to a log file per process. Slack is a FakeSlack in the caller's process.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from storage.encryption.ciphers import generate_key

SECRET = "scale-signing-secret"
BOT_TOKEN = "xoxb-scale"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(
    port: int,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> tuple[int, bytes]:
    """One HTTP request on loopback; raises OSError when no answer came (refused, reset, timeout)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    except http.client.HTTPException as cut_short:
        # A server killed mid-answer leaves a status line with a truncated body: no answer either.
        raise ConnectionError(f"answer cut short: {cut_short!r}") from cut_short
    finally:
        conn.close()


def api(
    port: int, method: str, path: str, token: str, payload=None, key: str | None = None, timeout: float = 10.0
) -> tuple[int, dict | None]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    data = None if payload is None else json.dumps(payload).encode()
    status, raw = call(port, method, path, body=data, headers=headers, timeout=timeout)
    return status, (json.loads(raw) if raw else None)


def wait_for(predicate, limit: float, step: float = 0.1) -> bool:
    """Poll `predicate` until it holds or `limit` seconds pass."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path
    port: int | None = None

    def send_signal(self, number: int) -> None:
        """Signal the whole session (gunicorn master and its workers), if it still runs."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, number)

    def kill(self) -> None:
        """SIGKILL everything at once, like a crash."""
        self.send_signal(signal.SIGKILL)
        self.popen.wait(10)

    def stop(self, limit: float = 30) -> None:
        self.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(limit)
        except subprocess.TimeoutExpired:
            self.kill()


@dataclass
class Cluster:
    """The environment all processes share, and every process started, to be stopped at the end."""

    database_url: str
    folder: Path
    slack_api_url: str
    extra: dict[str, str] = field(default_factory=dict)
    processes: list[Process] = field(default_factory=list)

    def __post_init__(self) -> None:
        inherited = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("PLAUDIT_", "SLACK_", "PROMETHEUS_", "DATABASE_URL"))
        }
        self.env = {
            **inherited,
            "DATABASE_URL": self.database_url,
            "PLAUDIT_ENCRYPTION_KEYS": f"k1:{generate_key()}",
            "PLAUDIT_BLIND_INDEX_KEY": generate_key(),
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_API_URL": self.slack_api_url,
            "PLAUDIT_API_RATE_LIMIT": "0",
            "PLAUDIT_LOG_FORMAT": "json",
            **self.extra,
        }

    def _spawn(self, name: str, args: list[str], port: int | None = None) -> Process:
        log = self.folder / f"{name}.log"
        with log.open("w") as handle:
            popen = subprocess.Popen(
                [sys.executable, "-m", "plaudit.cli", *args],
                env=self.env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process = Process(name, popen, log, port)
        self.processes.append(process)
        return process

    def server(self, name: str, workers: int = 1, scheduler: bool = False) -> Process:
        port = free_port()
        args = ["serve", "--port", str(port), "--workers", str(workers)]
        return self._spawn(name, args if scheduler else [*args, "--no-scheduler"], port)

    def scheduler(self, name: str) -> Process:
        return self._spawn(name, ["scheduler"])

    def wait_ready(self, servers: list[Process], limit: float = 30) -> None:
        for server in servers:
            if not wait_for(lambda s=server: _healthy(s), limit):
                raise RuntimeError(f"{server.name} did not start: {server.log.read_text()[-2000:]}")

    def stop_all(self) -> None:
        for process in self.processes:
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            process.stop()

    def run_cli(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "plaudit.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return done.stdout

    def api_client(self, port: int, name: str = "scale") -> tuple[str, str]:
        """(client_id, bearer token) of a new client with every scope."""
        printed = dict(
            line.split(":", 1)
            for line in self.run_cli("clients", "create", "--name", name, "--scopes", "all").splitlines()
            if ":" in line
        )
        client_id, secret = printed["client_id"].strip(), printed["client_secret"].strip()
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        status, raw = call(
            port,
            "POST",
            "/oauth/token",
            body=urlencode({"grant_type": "client_credentials"}).encode(),
            headers={"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"},
        )
        assert status == 200, raw
        return client_id, json.loads(raw)["access_token"]


def _healthy(server: Process) -> bool:
    if server.popen.poll() is not None:
        raise RuntimeError(f"{server.name} exited: {server.log.read_text()[-2000:]}")
    try:
        return call(server.port, "GET", "/healthz", timeout=2)[0] == 200
    except OSError:
        return False
