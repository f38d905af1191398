"""Webhooks: subscriptions over HTTP, Standard Webhooks signatures, retries and the delivery log."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from api.app import create_app
from rewards.webhook_destinations import DestinationPolicy
from scheduler.outbox import deliver_due
from scheduler.webhooks import WebhookDeliverer as _Deliverer
from scheduler.webhooks import retry_after_seconds, sign
from tests.api.callers import NO_LIMIT
from tests.factories import employee

# The receivers below run on loopback, which an operator must allow by name.
LOOPBACK_ALLOWED = DestinationPolicy.parse("127.0.0.1", https_only=False)


@pytest.fixture
def app(store):
    app = create_app(store, config=dataclasses.replace(NO_LIMIT, webhook_destinations=LOOPBACK_ALLOWED))
    app.config["TESTING"] = True
    return app


def WebhookDeliverer(store, **kw):
    """The deliverer as the operator who allowed loopback receivers configures it."""
    return _Deliverer(store, destinations=LOOPBACK_ALLOWED, **kw)


class Receiver:
    """An endpoint written from the Standard Webhooks spec: it verifies before it accepts."""

    def __init__(self, clock, failures: int = 0, fail_status: int = 503) -> None:
        self.key = b""
        self.clock = clock
        self.failures = failures
        self.fail_status = fail_status
        self.accepted: list[dict] = []
        self.rejected = 0
        self.calls = 0

    def use_secret(self, secret: str) -> None:
        """The secret the subscription's creation showed (once)."""
        self.key = base64.b64decode(secret.removeprefix("whsec_"))

    def verify(self, headers, body: bytes) -> bool:
        msg_id, timestamp = headers["webhook-id"], headers["webhook-timestamp"]
        if abs(self.clock.now().timestamp() - int(timestamp)) > 300:
            return False
        content = f"{msg_id}.{timestamp}.{body.decode()}".encode()
        expected = base64.b64encode(hmac.new(self.key, content, hashlib.sha256).digest()).decode()
        candidates = [
            s.split(",", 1)[1] for s in headers["webhook-signature"].split(" ") if s.startswith("v1,")
        ]
        return any(hmac.compare_digest(expected, c) for c in candidates)

    def handle(self, headers, body: bytes) -> int:
        self.calls += 1
        if not self.verify(headers, body):
            self.rejected += 1
            return 401
        if self.calls <= self.failures:
            return self.fail_status
        self.accepted.append({"id": headers["webhook-id"], **json.loads(body)})
        return 204


@pytest.fixture
def serve_receiver():
    servers = []

    def start(receiver: Receiver) -> str:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = receiver.handle(self.headers, body)
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "120")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/hooks"

    yield start
    for server in servers:
        server.shutdown()


def subscribe(hr, url, events=("award.issued",)):
    response = hr.post("/api/v1/webhooks", json={"url": url, "events": list(events)})
    assert response.status_code == 201
    return response.get_json()


def test_create_list_and_delete_a_subscription(hr):
    created = subscribe(hr, "https://hr.example.com/hooks")
    assert created["secret"].startswith("whsec_")
    listing = hr.get("/api/v1/webhooks").get_json()["items"]
    assert listing == [{k: v for k, v in created.items() if k != "secret"}]
    assert hr.delete(f"/api/v1/webhooks/{created['id']}").status_code == 204
    assert hr.get("/api/v1/webhooks").get_json()["items"] == []
    assert hr.delete(f"/api/v1/webhooks/{created['id']}").status_code == 404


def test_the_secret_is_stored_encrypted(store, hr):
    from sqlalchemy import select

    from storage.schema.core import WebhookSubscriptionRow

    created = subscribe(hr, "https://hr.example.com/hooks")
    with store.engine.connect() as conn:
        stored = conn.execute(select(WebhookSubscriptionRow.secret_enc)).scalar_one()
    assert created["secret"] not in stored and created["secret"][6:] not in stored


def test_bad_subscriptions_are_refused(hr):
    response = hr.post("/api/v1/webhooks", json={"url": "ftp://x", "events": ["nope"]})
    assert response.status_code == 422
    assert {e["field"].split(".")[1] for e in response.get_json()["errors"]} == {"url", "events"}


def test_signed_delivery_retries_until_the_receiver_accepts(store, hr, clock, serve_receiver):
    employee(store, external_id="E-1")
    receiver = Receiver(clock, failures=2)
    sub = subscribe(hr, serve_receiver(receiver))
    receiver.use_secret(sub["secret"])
    hr.post("/api/v1/awards", key="a-1", json={"employee_ids": ["E-1"], "points": 5, "reason": "x"})
    deliverers = {"webhook": WebhookDeliverer(store, timeout=5)}

    assert deliver_due(store, deliverers) == 0
    clock.advance(seconds=11)
    assert deliver_due(store, deliverers) == 0
    clock.advance(seconds=21)
    assert deliver_due(store, deliverers) == 1
    clock.advance(minutes=5)
    assert deliver_due(store, deliverers) == 0

    assert receiver.rejected == 0 and len(receiver.accepted) == 1
    event = receiver.accepted[0]
    assert event["type"] == "award.issued" and event["data"]["points"] == 5
    log = _fresh(store, hr).get(f"/api/v1/webhooks/{sub['id']}/deliveries").get_json()["items"]
    assert len(log) == 1 and log[0]["status"] == "delivered" and log[0]["event_id"] == event["id"]
    assert [(a["succeeded"], a["status_code"]) for a in log[0]["log"]] == [
        (False, 503),
        (False, 503),
        (True, 204),
    ]


def test_a_test_event_is_signed_and_delivered(store, hr, clock, serve_receiver):
    receiver = Receiver(clock)
    sub = subscribe(hr, serve_receiver(receiver), events=["*"])
    receiver.use_secret(sub["secret"])
    queued = hr.post(f"/api/v1/webhooks/{sub['id']}/test")
    assert queued.status_code == 202
    assert deliver_due(store, {"webhook": WebhookDeliverer(store)}) == 1
    assert receiver.accepted[0]["type"] == "webhook.test"
    assert receiver.accepted[0]["id"] == queued.get_json()["event_id"]


def test_a_forged_signature_is_refused_by_the_receiver(clock):
    secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
    receiver = Receiver(clock)
    receiver.use_secret(secret)
    body = b'{"type":"x"}'
    ts = int(clock.now().timestamp())
    good = {
        "webhook-id": "evt_1",
        "webhook-timestamp": str(ts),
        "webhook-signature": sign(secret, "evt_1", ts, body),
    }
    assert receiver.verify(good, body)
    assert not receiver.verify({**good, "webhook-signature": "v1,AAAA"}, body)
    assert not receiver.verify(good, b'{"type":"y"}')


def test_retry_after_is_read_as_seconds_or_a_date():
    from datetime import UTC, datetime

    now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds("Mon, 02 Mar 2026 10:01:00 GMT", now) == 60
    assert retry_after_seconds("soon") is None


def _fresh(store, hr):
    """The subscription's owner: another client sees none of it."""
    return hr


def test_retry_after_and_gone_are_honoured(store, hr, clock, serve_receiver):
    employee(store, external_id="E-1")
    slow = Receiver(clock, failures=1, fail_status=429)
    gone = Receiver(clock, failures=5, fail_status=410)
    slow_sub = subscribe(hr, serve_receiver(slow))
    gone_sub = subscribe(hr, serve_receiver(gone))
    slow.use_secret(slow_sub["secret"])
    gone.use_secret(gone_sub["secret"])
    hr.post("/api/v1/awards", key="a-1", json={"employee_ids": ["E-1"], "points": 5, "reason": "x"})
    deliverers = {"webhook": WebhookDeliverer(store)}
    assert deliver_due(store, deliverers) == 0
    clock.advance(seconds=60)  # past the usual 10 s backoff, not past Retry-After: 120
    assert deliver_due(store, deliverers) == 0
    clock.advance(seconds=61)
    assert deliver_due(store, deliverers) == 1
    reader = _fresh(store, hr)
    slow_log = reader.get(f"/api/v1/webhooks/{slow_sub['id']}/deliveries").get_json()["items"][0]
    gone_log = reader.get(f"/api/v1/webhooks/{gone_sub['id']}/deliveries").get_json()["items"][0]
    assert [a["status_code"] for a in slow_log["log"]] == [429, 204]
    assert gone_log["status"] == "dead" and len(gone_log["log"]) == 1
    assert gone.calls == 1
