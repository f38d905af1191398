"""Delivery made visible: latency per channel on /metrics, slow destinations in `plaudit outbox status`."""

from __future__ import annotations

import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from plaudit.assembly import build_web_app
from plaudit.cli import main
from plaudit.scheduler_assembly import build_dispatcher, job_context
from plaudit.settings import Settings
from rewards.delivery import DeliveryFailed
from storage.delivery import webhooks
from storage.encryption.ciphers import generate_key


@pytest.fixture
def client(store):
    return build_web_app(Settings.from_env({"DATABASE_URL": "unused"}), store).test_client()


def latency(client, channel: str) -> dict[str, float]:
    """The delivery histogram's samples for one channel, by bucket bound (and "count")."""
    found = {}
    for family in text_string_to_metric_families(client.get("/metrics").get_data(as_text=True)):
        for sample in family.samples:
            if (
                sample.name.startswith("plaudit_outbox_delivery_seconds")
                and sample.labels.get("channel") == channel
            ):
                found[sample.labels.get("le", sample.name.rsplit("_", 1)[-1])] = sample.value
    return found


class Accepts:
    def deliver(self, message) -> int:
        return 200


class SlowlyFails:
    def deliver(self, message) -> int:
        time.sleep(0.05)
        raise DeliveryFailed("timeout")


def publish(store, topic: str = "award.issued") -> None:
    with store.uow() as uow:
        uow.events.publish(topic, {"employee_ids": [], "points": 5})
        uow.commit()


def test_metrics_show_delivery_latency_per_channel(store, clock, client):
    webhooks.create(store, "https://hooks.example.com/in", ["award.issued"], None)
    before = {channel: latency(client, channel) for channel in ("slack", "webhook")}
    publish(store)
    clock.advance(seconds=2)  # written two seconds before it is delivered
    ctx = job_context(
        Settings.from_env({"DATABASE_URL": "unused"}), store, {"slack": Accepts(), "webhook": Accepts()}
    )
    dispatcher = build_dispatcher(ctx)
    assert dispatcher.fill() == 2
    deadline = time.monotonic() + 5
    while not dispatcher.idle() and time.monotonic() < deadline:
        time.sleep(0.01)
    dispatcher.stop()
    for channel in ("slack", "webhook"):
        after = latency(client, channel)
        moved = {le: after[le] - before[channel].get(le, 0.0) for le in after}
        assert moved["count"] == 1
        assert moved["1.0"] == 0 and moved["2.5"] == 1


def test_outbox_status_shows_the_oldest_pending_age_and_the_slowest_destinations(
    store, clock, db_url, monkeypatch, capsys
):
    sub, _ = webhooks.create(store, "https://hooks.example.com/in", ["award.issued"], None)
    publish(store)
    publish(store)
    clock.advance(seconds=90)
    ctx = job_context(Settings.from_env({"DATABASE_URL": "unused"}), store, {"webhook": SlowlyFails()})
    dispatcher = build_dispatcher(ctx)
    assert dispatcher.fill() == 2
    deadline = time.monotonic() + 5
    while not dispatcher.idle() and time.monotonic() < deadline:
        time.sleep(0.01)
    dispatcher.stop()

    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("PLAUDIT_ENCRYPTION_KEYS", f"k9:{generate_key()}")
    monkeypatch.setenv("PLAUDIT_BLIND_INDEX_KEY", generate_key())
    monkeypatch.setattr("plaudit.commands.outbox.build_store", lambda *a, **k: store)
    assert main(["outbox", "status"]) == 0
    shown = capsys.readouterr().out
    assert "oldest pending: 90 s old" in shown
    lines = shown.splitlines()
    table = lines[lines.index("slowest destinations (oldest pending; attempts in the last hour):") + 2 :]
    hook = next(line.split() for line in table if line.strip().startswith(f"webhook #{sub.id} "))
    slack = next(line.split() for line in table if line.strip().startswith("slack "))
    assert hook[2:5] == ["2", "90", "s"] and hook[5:7] == ["2", "2"] and int(hook[8]) >= 50
    assert slack[1:4] == ["2", "90", "s"] and slack[4:] == ["0", "0", "-", "-"]
