"""Operations: /readyz, /metrics that parse and move, JSON logs that carry ids and no secrets."""

from __future__ import annotations

import io
import json
import logging

import pytest
from prometheus_client.parser import text_string_to_metric_families

from plaudit.assembly import build_web_app
from plaudit.observability import logs
from plaudit.settings import Settings
from rewards.policy import RecognitionPolicy
from rewards.services.recognition import GiveRecognition, give_recognition
from tests.factories import employee, give_allowance


@pytest.fixture
def client(store):
    app = build_web_app(Settings.from_env({"DATABASE_URL": "unused"}), store)
    return app.test_client()


def samples(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    found = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_readyz_reports_database_schema_scheduler_and_outbox(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["database"] == "ok" and body["migrations"] == "current"
    assert "scheduler" in body and body["outbox_oldest_pending_seconds"] >= 0


def test_metrics_parse_and_move_with_traffic(client, store):
    before = samples(client)
    ana, ben = employee(store), employee(store)
    give_allowance(store, ana, 50)
    give_recognition(
        store.uow(),
        GiveRecognition(
            giver_id=ana.id, recipient_ids=[ben.id], points=7, reason="great demo", idempotency_key="m1"
        ),
        RecognitionPolicy(),
        store.clock,
    )
    client.get("/healthz")
    after = samples(client)

    assert after[("plaudit_recognitions_total", ())] == before[("plaudit_recognitions_total", ())] + 1
    assert after[("plaudit_recognition_points_total", ())] == (
        before[("plaudit_recognition_points_total", ())] + 7
    )
    key = ("plaudit_http_requests_total", (("method", "GET"), ("route", "/healthz"), ("status", "200")))
    assert after[key] == before.get(key, 0) + 1
    assert after[("plaudit_outbox_messages", (("status", "pending"),))] >= 1


def test_json_logs_carry_the_request_id_and_redact_secrets():
    stream = io.StringIO()
    logs.configure("INFO", stream)
    try:
        logs.new_request("req-123")
        logs.bind(slack_team_id="T1", slack_user_id="U2")
        logging.getLogger("plaudit.test").warning(
            "user ana.lopez@example.com sent xoxb-1234-abcd with Authorization: Bearer abc.def "
            "and client_secret=s3cr3t and whsec_QUJDREVG"
        )
    finally:
        logging.getLogger().handlers.clear()
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert line["request_id"] == "req-123" and line["slack_user_id"] == "U2"
    for secret in ("ana.lopez", "xoxb-1234", "abc.def", "s3cr3t", "QUJDREVG"):
        assert secret not in line["message"]
    assert "[email]" in line["message"] and "[slack-token]" in line["message"]


def test_each_response_carries_a_request_id(client):
    response = client.get("/healthz", headers={"X-Request-Id": "abc-42"})
    assert response.headers["X-Request-Id"] == "abc-42"
    assert len(client.get("/healthz").headers["X-Request-Id"]) == 32


def test_scheduler_runs_and_webhook_failures_are_counted(client, store):
    from scheduler.config import SchedulerConfig
    from scheduler.jobs import JobContext, run_all_once

    run_all_once(JobContext(store, SchedulerConfig()))
    found = samples(client)
    assert found[("plaudit_scheduler_runs_total", (("job", "outbox"), ("outcome", "success")))] == 1
    assert ("plaudit_scheduler_last_success_timestamp_seconds", (("job", "milestones"),)) in found
    assert found[("plaudit_webhook_failures_total", ())] == 0
