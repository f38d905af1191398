"""Malformed requests to /slack/events are a 400, never a 500 (before the signature check)."""

from __future__ import annotations

import logging

import pytest

CASES = [
    ("application/json", b"\xff\xfe\xfd", {}),
    ("application/json", b"{not json", {}),
    ("application/x-www-form-urlencoded", b"payload=\xff\xfe", {}),
    ("application/json", b"{}", {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=00"}),
    ("application/json", b"{}", {"X-Slack-Request-Timestamp": "", "X-Slack-Signature": "v0=00"}),
    # JSON that is not an object
    ("application/json", b"[]", {}),
    ("application/json", b"1", {}),
    ("application/json", b'"x"', {}),
    ("application/json", b"null", {}),
    ("application/json", b"true", {}),
    ("application/json", b"[{}]", {}),
    # a form whose payload is not JSON, or not an object
    ("application/x-www-form-urlencoded", b"payload=%7Bnot", {}),
    ("application/x-www-form-urlencoded", b"payload=[]", {}),
    ("application/x-www-form-urlencoded", b"payload=1", {}),
    ("application/x-www-form-urlencoded", b"payload=null", {}),
    ("application/x-www-form-urlencoded", b"payload=", {}),
    ("application/x-www-form-urlencoded", b"token=x&payload=%22x%22", {}),
    # a body starting with { under a content type that is not JSON
    ("application/x-www-form-urlencoded", b"{not json", {}),
    ("text/plain", b"{", {}),
    ("", b"{'single': 'quotes'}", {}),
    ("application/json; charset=utf-8", b"{not json", {}),
    # an object whose ids have the wrong shape
    ("application/json", b'{"authorizations": 5}', {}),
    ("application/json", b'{"authorizations": ["x"]}', {}),
    ("application/json", b'{"enterprise": 5}', {}),
    ("application/json", b'{"team": 5}', {}),
    ("application/json", b'{"team_id": [], "event": "x"}', {}),
    ("application/x-www-form-urlencoded", b'payload={"user": 7, "channel": 7, "team": 7}', {}),
]


@pytest.mark.parametrize(("content_type", "body", "headers"), CASES)
def test_a_malformed_slack_request_is_refused_without_a_server_error(
    web, caplog, content_type, body, headers
):
    caplog.set_level(logging.INFO)
    response = web.test_client().post(
        "/slack/events", data=body, headers={"Content-Type": content_type, **headers}
    )
    assert response.status_code in (400, 401)  # refused as malformed, or as unsigned
    assert b"Traceback" not in response.get_data()
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b"[]"),
        ("application/x-www-form-urlencoded", b"payload=%7Bnot"),
        ("application/x-www-form-urlencoded", b"payload=[]"),
        ("text/plain", b"{nope"),
    ],
)
def test_a_body_bolt_cannot_read_is_a_plain_400(web, content_type, body):
    response = web.test_client().post("/slack/events", data=body, headers={"Content-Type": content_type})
    assert response.status_code == 400


def test_a_well_formed_unsigned_request_still_reaches_the_signature_check(web):
    for content_type, body in (
        ("application/json", b'{"type": "event_callback"}'),
        ("application/x-www-form-urlencoded", b"command=%2Fkudos&text=hi"),
        ("application/x-www-form-urlencoded", b"payload=%7B%22type%22%3A%22block_actions%22%7D"),
        ("text/plain", b"{}"),
    ):
        response = web.test_client().post("/slack/events", data=body, headers={"Content-Type": content_type})
        assert response.status_code == 401, (content_type, body)
