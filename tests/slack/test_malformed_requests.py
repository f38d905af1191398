"""Malformed requests to /slack/events are a 400, never a 500 (before the signature check)."""

from __future__ import annotations

import pytest

CASES = [
    ("application/json", b"\xff\xfe\xfd", {}),
    ("application/json", b"{not json", {}),
    ("application/x-www-form-urlencoded", b"payload=\xff\xfe", {}),
    ("application/json", b"{}", {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=00"}),
    ("application/json", b"{}", {"X-Slack-Request-Timestamp": "", "X-Slack-Signature": "v0=00"}),
]


@pytest.mark.parametrize(("content_type", "body", "headers"), CASES)
def test_a_malformed_slack_request_is_refused_without_a_server_error(web, content_type, body, headers):
    response = web.test_client().post(
        "/slack/events", data=body, headers={"Content-Type": content_type, **headers}
    )
    assert response.status_code == 400
    assert b"Traceback" not in response.get_data()
