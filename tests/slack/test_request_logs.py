"""Log lines written while Slack is answered carry the team and user ids, and no names."""

from __future__ import annotations

import io
import json
import logging

from bot.simulator.signed_requests import SlackDriver, flask_transport
from plaudit.observability import logs
from plaudit.observability.web import slack_ids
from tests.slack.helpers import SECRET


def test_a_slack_request_logs_its_team_user_and_request_id(web):
    @web.after_request
    def log_while_answering(response):
        logging.getLogger("plaudit.probe").info("answered")
        return response

    stream = io.StringIO()
    logs.configure("INFO", stream)
    try:
        reply = SlackDriver(flask_transport(web.test_client()), SECRET).command("UANA", "balance")
    finally:
        logging.getLogger().handlers.clear()
    assert reply.status == 200
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    probe = next(line for line in lines if line["logger"] == "plaudit.probe")
    assert probe["slack_team_id"] == "T0PLAUDIT" and probe["slack_user_id"] == "UANA"
    assert len(probe["request_id"]) == 32
    assert "ana@example.com" not in stream.getvalue() and "Ana" not in stream.getvalue()


def test_slack_ids_are_read_from_every_kind_of_request():
    assert slack_ids(b"team_id=T1&user_id=U2&text=hi", "application/x-www-form-urlencoded") == {
        "slack_team_id": "T1",
        "slack_user_id": "U2",
    }
    payload = json.dumps({"team": {"id": "T1"}, "user": {"id": "U3"}})
    assert (
        slack_ids(f"payload={payload}".encode(), "application/x-www-form-urlencoded")["slack_user_id"] == "U3"
    )
    event = json.dumps({"team_id": "T1", "event": {"user": "U4"}}).encode()
    assert slack_ids(event, "application/json") == {"slack_team_id": "T1", "slack_user_id": "U4"}
    assert slack_ids(b"\xff{", "application/json") == {}
