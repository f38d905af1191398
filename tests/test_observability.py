"""Operations: /readyz, /metrics that parse and move, JSON logs that carry ids and no secrets."""

from __future__ import annotations

import io
import json
import logging

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, insert, select

from plaudit.assembly import build_web_app
from plaudit.observability import logs
from plaudit.settings import Settings
from rewards.policy import RecognitionPolicy
from rewards.services.employees import erase_employee
from rewards.services.recognition import GiveRecognition, give_recognition
from scheduler.config import SchedulerConfig
from scheduler.jobs import JobContext, housekeeping
from storage.delivery.outbox_admin import DELIVERED_KEPT
from storage.recognition import tallies
from storage.schema.core import OutboxAttemptRow, OutboxRow
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

    assert after[("plaudit_recognitions", ())] == before[("plaudit_recognitions", ())] + 1
    assert after[("plaudit_recognition_points", ())] == (before[("plaudit_recognition_points", ())] + 7)
    key = ("plaudit_http_requests_total", (("method", "GET"), ("route", "/healthz"), ("status", "200")))
    assert after[key] == before.get(key, 0) + 1
    assert after[("plaudit_outbox_messages", (("status", "pending"),))] >= 1


def test_recognition_figures_are_gauges_since_a_reaction_taken_back_lowers_them(client):
    """Counters must never go down (rate() reads a dip as a reset): these can, so they are gauges."""
    response = client.get("/metrics")
    families = {f.name: f for f in text_string_to_metric_families(response.get_data(as_text=True))}
    for name in ("plaudit_recognitions", "plaudit_recognition_points"):
        assert families[name].type == "gauge", name
        assert [s.name for s in families[name].samples] == [name]
    assert "plaudit_recognitions_total" not in response.get_data(as_text=True)


def test_json_logs_carry_the_request_id_and_redact_secrets():
    stream = io.StringIO()
    logs.configure("INFO", stream)
    try:
        logs.new_request("req-123")
        logs.bind(slack_team_id="T1", slack_user_id="U2")
        logging.getLogger("plaudit.test").warning(
            "user ana.lopez@example.com sent xoxb-1234-abcd with Authorization: Bearer abc.def "
            "and client_secret=s3cr3t and whsec_QUJDREVG, bare scim_Zm9vYmFyYmF6cXV4cXV1eHh4 "
            "and pcs_c2VjcmV0c2VjcmV0c2VjcmV0"
        )
    finally:
        logging.getLogger().handlers.clear()
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert line["request_id"] == "req-123" and line["slack_user_id"] == "U2"
    for secret in ("ana.lopez", "xoxb-1234", "abc.def", "s3cr3t", "QUJDREVG", "Zm9vYmFy", "c2VjcmV0"):
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


def test_purging_the_outbox_and_erasing_never_make_a_counter_go_down(client, store):
    """Delivered messages, failed webhook attempts and recognitions stay counted once the
    housekeeping purge (or an erasure) deletes the rows they were counted from."""
    ana, ben = employee(store), employee(store)
    give_allowance(store, ana, 50)
    tallies.build(store.engine, "UTC")
    give_recognition(
        store.uow(),
        GiveRecognition(
            giver_id=ana.id, recipient_ids=[ben.id], points=4, reason="nice", idempotency_key="p1"
        ),
        RecognitionPolicy(),
        store.clock,
    )
    old = store.clock.now()
    with store.engine.begin() as conn:
        # (channel, status, failed attempts, succeeded attempts): a delivered webhook message that
        # failed twice first, a dead one, a pending one failing, a delivered Slack message.
        for channel, status, failed, succeeded in [
            ("webhook", "delivered", 2, 1),
            ("webhook", "dead", 3, 0),
            ("webhook", "pending", 1, 0),
            ("slack", "delivered", 1, 1),
        ]:
            message = conn.execute(
                insert(OutboxRow).values(
                    channel=channel,
                    topic="award.issued",
                    event_id="e",
                    payload="{}",
                    status=status,
                    attempts=failed + succeeded,
                    progress=0,
                    available_at=old,
                    created_at=old,
                )
            ).inserted_primary_key[0]
            for ok in [False] * failed + [True] * succeeded:
                conn.execute(
                    insert(OutboxAttemptRow).values(outbox_id=message, attempted_at=old, succeeded=ok)
                )
    before = samples(client)
    assert before[("plaudit_webhook_failures_total", ())] == 6
    assert before[("plaudit_recognitions", ())] == 1
    assert before[("plaudit_recognition_points", ())] == 4

    store.clock.advance(seconds=DELIVERED_KEPT.total_seconds() + 60)
    housekeeping(JobContext(store=store, config=SchedulerConfig()))
    with store.reader() as uow:
        kept = uow.session.execute(select(OutboxRow.status, func.count()).group_by(OutboxRow.status)).all()
        attempts = uow.session.scalar(select(func.count()).select_from(OutboxAttemptRow))
    assert sorted(kept) == [("dead", 1), ("pending", 2)]  # the recognition's own message waits too
    assert attempts == 0  # old failures of kept messages go after the retention as well
    erase_employee(store.uow(), ben.id, store.clock)
    after = samples(client)

    for name in (
        "plaudit_webhook_failures_total",
        "plaudit_recognitions",
        "plaudit_recognition_points",
    ):
        assert after[(name, ())] == before[(name, ())], name
    delivered = ("plaudit_outbox_messages", (("status", "delivered"),))
    assert before[delivered] == 2 and after[delivered] == 2
