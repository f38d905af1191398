"""An award over HTTP is delivered at commit, and a hanging webhook receiver holds up nobody else."""

from __future__ import annotations

import dataclasses
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from slack_sdk import WebClient

from api.app import create_app
from bot.outbound.messages import all_renderers
from bot.outbound.notifier import RenderContext, SlackNotifier
from bot.simulator.fake_slack import FakeSlack
from rewards.webhook_destinations import DestinationPolicy
from scheduler.dispatcher import Dispatcher
from scheduler.webhooks import WebhookDeliverer
from tests.api.callers import NO_LIMIT
from tests.factories import employee

LOOPBACK_ALLOWED = DestinationPolicy.parse("127.0.0.1", https_only=False)
SWEEP = 60.0  # only a wake-up at commit can deliver within the waits below
HANG = 30.0


@pytest.fixture
def app(store):
    app = create_app(store, config=dataclasses.replace(NO_LIMIT, webhook_destinations=LOOPBACK_ALLOWED))
    app.config["TESTING"] = True
    return app


class Receiver:
    """A loopback webhook endpoint noting when each event arrived; `hang` makes it not answer."""

    def __init__(self, hang: bool = False) -> None:
        self.hang = hang
        self.release = threading.Event()
        self.arrived: list[float] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                receiver.arrived.append(time.monotonic())
                if receiver.hang:
                    receiver.release.wait(HANG)
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers():
    made: list[Receiver] = []

    def make(hang: bool = False) -> Receiver:
        made.append(Receiver(hang))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


@pytest.fixture
def fake_slack():
    with FakeSlack() as fake:
        yield fake


def deliverers(store, fake, webhook_timeout: float = HANG) -> dict:
    client = WebClient(token="xoxb-test", base_url=fake.url)
    return {
        "slack": SlackNotifier(client, RenderContext(store, {}), all_renderers()),
        "webhook": WebhookDeliverer(store, timeout=webhook_timeout, destinations=LOOPBACK_ALLOWED),
    }


def subscribe(hr, url) -> None:
    response = hr.post("/api/v1/webhooks", json={"url": url, "events": ["award.issued"]})
    assert response.status_code == 201


def award(hr, key: str, hr_id: str) -> float:
    """POST an award; returns the moment it was committed (the answer came back)."""
    response = hr.post("/api/v1/awards", key=key, json={"employee_ids": [hr_id], "points": 5, "reason": "x"})
    assert response.status_code == 201
    return time.monotonic()


def first_arrival(predicate, since: float, seconds: float = 3.0) -> float:
    """Seconds from `since` until predicate() returns an arrival time; fails after `seconds`."""
    while (arrived := predicate()) is None:
        if time.monotonic() - since > seconds:
            pytest.fail(f"nothing arrived within {seconds} s")
        time.sleep(0.005)
    return arrived - since


def test_an_award_over_http_reaches_slack_and_its_webhook_within_a_second(store, hr, fake_slack, receivers):
    person = employee(store, external_id="E-1")
    receiver = receivers()
    subscribe(hr, receiver.url)
    dispatcher = Dispatcher(store, deliverers(store, fake_slack), sweep_seconds=SWEEP).start()
    try:
        time.sleep(0.2)
        committed = award(hr, "a-1", "E-1")
        dm = first_arrival(lambda: _dm_at(fake_slack, person, 0), committed)
        hook = first_arrival(lambda: receiver.arrived[0] if receiver.arrived else None, committed)
    finally:
        dispatcher.stop()
    assert dm < 1.0 and hook < 1.0


def test_a_hanging_webhook_receiver_delays_no_slack_dm_and_no_other_receiver(
    store, hr, fake_slack, receivers
):
    people = [employee(store, external_id=f"E-{n}") for n in range(3)]
    hanging, healthy = receivers(hang=True), receivers()
    subscribe(hr, hanging.url)
    subscribe(hr, healthy.url)
    dispatcher = Dispatcher(store, deliverers(store, fake_slack), sweep_seconds=SWEEP, workers=4).start()
    try:
        time.sleep(0.2)
        for n, person in enumerate(people):
            committed = award(hr, f"a-{n}", f"E-{n}")
            assert first_arrival(lambda p=person: _dm_at(fake_slack, p, 0), committed) < 1.0
            hook = first_arrival(
                lambda n=n: healthy.arrived[n] if len(healthy.arrived) > n else None, committed
            )
            assert hook < 1.0
        assert len(hanging.arrived) == 1  # still waiting for its first answer; the others wait their turn
    finally:
        hanging.release.set()
        dispatcher.stop()


def _dm_at(fake, person, index: int) -> float | None:
    calls = [c for c in fake.calls_to("chat.postMessage") if c.args["channel"] == person.slack_user_id]
    return calls[index].at if len(calls) > index else None
