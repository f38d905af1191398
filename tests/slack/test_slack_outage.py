"""Slack unreachable at start does not take Plaudit down: the API and checks serve, Slack catches up."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.link import SlackLink
from bot.simulator.fake_slack import FakeSlack
from bot.simulator.signed_requests import Reply, SlackDriver
from plaudit.scheduler_assembly import default_deliverers
from plaudit.settings import Settings
from scheduler.outbox import RetryPolicy, deliver_due
from storage.schema.core import OutboxRow
from tests.scale.cluster import SECRET, Cluster, call, free_port, wait_for
from tests.slack.helpers import PEOPLE


def http_transport(port: int):
    def send(body: bytes, headers: dict[str, str]) -> Reply:
        status, raw = call(port, "POST", "/slack/events", body=body, headers=headers)
        return Reply(status, raw.decode())

    return send


def readiness(port: int) -> tuple[int, dict]:
    status, raw = call(port, "GET", "/readyz")
    return status, json.loads(raw)


@pytest.fixture
def cluster(tmp_path):
    slack_port = free_port()  # reserved now, served by the fake Slack only later
    made = Cluster(f"sqlite:///{tmp_path / 'outage.db'}", tmp_path, f"http://127.0.0.1:{slack_port}/api/")
    made.slack_port = slack_port
    yield made
    made.stop_all()


def test_started_with_slack_unreachable_the_server_serves_and_takes_kudos_once_slack_is_back(cluster):
    server = cluster.server("web", workers=1, scheduler=True)
    cluster.wait_ready([server], limit=30)
    _, token = cluster.api_client(server.port)
    status, body = call(server.port, "GET", "/api/v1/employees", headers={"Authorization": f"Bearer {token}"})
    assert status == 200, body

    status, report = readiness(server.port)
    assert status == 200  # the HR API is ready: a load balancer keeps this server
    assert report["status"] == "degraded" and report["waiting_for"] == ["slack"]
    assert "unreachable" in report["slack"]

    slack = SlackDriver(http_transport(server.port), SECRET)
    early = slack.command("UANA", "<@UBEN> 10 for the demo")
    assert early.status == 200 and "cannot reach Slack" in early.json()["text"]
    assert slack.event({"type": "reaction_added", "user": "UANA"}).status == 503  # Slack retries events

    with FakeSlack(port=cluster.slack_port) as fake:
        for user_id, name in PEOPLE.items():
            fake.add_user(user_id, name=name.title(), email=f"{name}@example.com")
        assert wait_for(lambda: readiness(server.port)[1].get("slack") == "ok", 40), readiness(server.port)
        assert readiness(server.port)[1]["status"] == "ok"
        given = slack.command("UANA", "<@UBEN> 10 for the demo")
        assert given.status == 200, given.body
        assert given.json()["response_type"] == "in_channel"
        assert wait_for(
            lambda: any(c.args.get("channel") == "UBEN" for c in fake.calls_to("chat.postMessage")), 30
        ), [c.args.get("channel") for c in fake.calls_to("chat.postMessage")]


def outbox_rows(store) -> list[tuple[str, str, int]]:
    with store.reader() as uow:
        rows = uow.session.execute(select(OutboxRow.channel, OutboxRow.status, OutboxRow.attempts))
        return sorted(tuple(row) for row in rows)


def test_slack_messages_wait_unattempted_while_slack_is_unreachable_and_go_once_it_answers(store):
    port = free_port()
    settings = Settings(
        database_url=str(store.engine.url),
        slack_bot_token="xoxb-outage",
        slack_api_url=f"http://127.0.0.1:{port}/api/",
    )
    deliverers = default_deliverers(settings, store)
    with store.uow() as uow:
        uow.events.publish("test.event", {"n": 1})
        uow.commit()
    once = RetryPolicy(max_attempts=1)  # one attempt would make it a dead letter

    deliver_due(store, deliverers, policy=once)
    assert outbox_rows(store) == [("slack", "pending", 0)]
    assert "slack" not in list(deliverers)

    with FakeSlack(port=port):
        assert wait_for(lambda: "slack" in list(deliverers), 40)
        deliver_due(store, deliverers, policy=once)
    assert outbox_rows(store)[0][2] == 1  # attempted now that Slack answers


def test_a_refused_token_is_named_without_the_token():
    with FakeSlack() as fake:
        fake.fail_always("auth.test", 200)
        link = SlackLink(_client_for(fake.url), first_delay=5)
        assert not link.settled(5)
        assert link.problem() == "Slack refused the bot token (fake_failure)"
        link.stop()


def _client_for(url: str):
    from slack_sdk import WebClient

    return WebClient(token="xoxb-outage-token", base_url=url, timeout=2)
