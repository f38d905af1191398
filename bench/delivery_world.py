"""What bench/delivery.py measures in: a recording fake Slack, webhook receivers, seeded data, servers."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.app import create_app  # noqa: E402
from api.config import SCOPES, ApiConfig  # noqa: E402
from bot.simulator.fake_slack import FakeSlack, ScriptedReply  # noqa: E402
from storage.access import clients  # noqa: E402
from storage.delivery import webhooks as subs  # noqa: E402
from storage.encryption.ciphers import BlindIndex, Keyring, generate_key  # noqa: E402
from storage.schema.core import OutboxAttemptRow, OutboxRow  # noqa: E402
from storage.store import Store  # noqa: E402

PROBE = re.compile(r"probe-(\d+)")
PROBE_PREFIX = "UP"  # Slack ids of the probe recipients
LISTEN_BACKLOG = 1024


class RecordingSlack(FakeSlack):
    """The fake Slack, noting when each probe's DM arrives and answering 429 to every n-th post."""

    def __init__(self) -> None:
        super().__init__()
        # socketserver listens with a backlog of 5: under load, connections beyond it wait for a
        # SYN retry (1 s, then 3 s) and the bench would time the fake, not the dispatcher.
        self._server.socket.listen(LISTEN_BACKLOG)
        self.arrivals: dict[int, float] = {}  # probe number -> time.monotonic() at arrival
        self.every_429 = 0  # 0: never; n: every n-th chat.postMessage is answered 429
        self.posts = 0
        self.answered_429 = 0

    def forget(self) -> None:
        """Drop the recorded calls and arrivals (each phase starts clean)."""
        with self._lock:
            self.calls.clear()
            self.arrivals.clear()
            self.posts = self.answered_429 = 0

    def _answer(self, method: str, args: dict) -> ScriptedReply:
        if method == "chat.postMessage":
            self.posts += 1
            if self.every_429 and self.posts % self.every_429 == 0:
                self.answered_429 += 1
                return ScriptedReply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
            if str(args.get("channel", "")).startswith(PROBE_PREFIX):
                found = PROBE.search(json.dumps(args))
                if found:
                    self.arrivals.setdefault(int(found.group(1)), time.monotonic())
        self.calls = self.calls[-1000:] if len(self.calls) > 5000 else self.calls  # bounded memory
        return super()._answer(method, args)


class Receiver:
    """A webhook receiver on loopback answering 204 to every POST, counting them."""

    def __init__(self) -> None:
        owner = self
        self.count = 0

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                owner.count += 1
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.socket.listen(LISTEN_BACKLOG)  # as RecordingSlack
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}/hook"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class HungReceiver:
    """A loopback socket that accepts connections and never answers (until closed)."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(256)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}/hook"
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self) -> None:
        self._sock.close()
        for conn in self.accepted:
            conn.close()


class World:
    """A migrated database with background and probe employees, an API token and server settings."""

    def __init__(self, url: str, slack: RecordingSlack, background: int, probes: int) -> None:
        self.url = url
        key, bidx = generate_key(), generate_key()
        self.store = Store.open(url, Keyring.parse(f"k1:{key}"), BlindIndex.from_text(bidx))
        client, secret = clients.create_client(self.store, "bench-delivery", list(SCOPES))
        self.client_id = client.id
        self.app = create_app(self.store, config=ApiConfig(rate_limit_per_second=0)).test_client()
        answer = self.app.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client.id, secret)
        )
        self.token = answer.get_json()["access_token"]
        for n in range(probes):
            slack.add_user(f"{PROBE_PREFIX}{n:03d}", name=f"probe{n}")
        self.background = self._employees("B", "UB", background)
        self.probes = self._employees("P", PROBE_PREFIX, probes)
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": url,
            "PLAUDIT_ENCRYPTION_KEYS": f"k1:{key}",
            "PLAUDIT_BLIND_INDEX_KEY": bidx,
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": "bench-secret",
            "SLACK_API_URL": slack.url,
            "PLAUDIT_API_RATE_LIMIT": "0",
            "PLAUDIT_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
            "PLAUDIT_LOG_LEVEL": "error",
        }

    def _employees(self, hr_prefix: str, slack_prefix: str, count: int) -> list[str]:
        """Create `count` employees with Slack ids in bulk; returns their internal ids."""
        ids: list[str] = []
        for start in range(0, count, 1000):
            items = [
                {
                    "external_id": f"{hr_prefix}-{n}",
                    "email": f"{hr_prefix.lower()}{n}@bench.example",
                    "display_name": f"{hr_prefix}{n}",
                    "slack_user_id": f"{slack_prefix}{n:03d}",
                }
                for n in range(start, min(count, start + 1000))
            ]
            answer = self.app.post("/api/v1/employees/bulk", json={"items": items}, headers=self._auth())
            body = answer.get_json()
            if answer.status_code != 200 or body["failed"]:
                raise SystemExit(f"could not create bench employees: {answer.status_code} {str(body)[:300]}")
            ids += [item["id"] for item in body["items"]]
        return ids

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Idempotency-Key": uuid.uuid4().hex}

    def subscribe(self, url: str) -> int:
        """A webhook subscription to every event, owned by the bench's API client; returns its id."""
        return subs.create(self.store, url, ["*"], f"api:{self.client_id}")[0].id

    def queue_awards(self, count: int) -> None:
        """Write `count` award events (one DM each, plus a row per subscription) without a server running."""
        answer = self.app.post(
            "/api/v1/awards",
            json={"employee_ids": ["B-0"], "points": 1, "reason": "drain seed"},
            headers=self._auth(),
        )
        txn = answer.get_json()["transaction_id"]
        for start in range(0, count, 1000):
            with self.store.uow() as uow:
                for n in range(start, min(count, start + 1000)):
                    uow.events.publish(
                        "award.issued",
                        {
                            "transaction_id": txn,
                            "employee_ids": [self.background[n % len(self.background)]],
                            "points": 1,
                            "reason": f"drain {n}",
                            "value": None,
                            "notify": True,
                        },
                    )
                uow.commit()

    def outbox_counts(self) -> dict[tuple[str, str, int | None], int]:
        """(status, channel, subscription) -> messages."""
        columns = (OutboxRow.status, OutboxRow.channel, OutboxRow.subscription_id)
        with self.store.reader() as uow:
            rows = uow.session.execute(select(*columns, func.count()).group_by(*columns)).all()
        return {(s, c, sub): int(n) for s, c, sub, n in rows}

    def pending(self) -> int:
        return sum(n for (status, _, _), n in self.outbox_counts().items() if status == "pending")

    def clear_outbox(self) -> None:
        """Forget delivered and dead rows and pending ones (between phases, servers stopped)."""
        with self.store.uow() as uow:
            uow.session.execute(OutboxAttemptRow.__table__.delete())
            uow.session.execute(OutboxRow.__table__.delete())
            uow.commit()

    def close(self) -> None:
        self.store.close()


class Servers:
    """`plaudit serve` processes on one database until the `with` block ends (each in its own group)."""

    def __init__(self, env: dict[str, str], count: int, log_dir: Path, extra: dict[str, str]) -> None:
        self.env = {**env, **extra}
        self.ports = [free_port() for _ in range(count)]
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen] = []

    def __enter__(self) -> Servers:
        for port in self.ports:
            log = open(self.log_dir / f"serve-{port}.log", "w")  # noqa: SIM115 - closed with the process
            self.processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "plaudit.cli", "serve", "--port", str(port)],
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        for port in self.ports:
            wait_ready(port)
        return self

    def roles(self) -> list[set[str]]:
        """The scheduler roles /readyz reports on each server (over a few calls: one per worker)."""
        seen: list[set[str]] = []
        for port in self.ports:
            roles = set()
            for _ in range(12):
                status, body = get(port, "/readyz")
                roles.add(json.loads(body).get("scheduler", "?") if body.startswith(b"{") else "?")
            seen.append(roles)
        return seen

    def __exit__(self, *exc: object) -> None:
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def wait_ready(port: int, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if get(port, "/readyz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"plaudit serve on port {port} was not ready within {seconds:.0f} s")
