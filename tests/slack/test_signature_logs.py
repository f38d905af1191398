"""A Slack request that fails the signature check leaves none of its body in the logs, at any level."""

from __future__ import annotations

import io
import logging

import pytest

from bot.simulator.signed_requests import SlackDriver, flask_transport
from plaudit.observability import logs
from tests.slack.helpers import SECRET

DISTINCTIVE = "zebra-quartz-4711"


@pytest.mark.parametrize("level", ["DEBUG", "INFO"])
def test_a_forged_signature_is_refused_and_logs_nothing_of_the_body(web, caplog, level):
    stream = io.StringIO()
    logs.configure(level, stream)  # Plaudit's own handler, as a server has it
    logging.getLogger().addHandler(caplog.handler)  # and every record, whatever the filters
    caplog.handler.setLevel(logging.DEBUG)
    try:
        slack = SlackDriver(flask_transport(web.test_client()), SECRET, team_id=f"T{DISTINCTIVE}")
        forged = slack.command("UANA", f"<@UBEN> 10 for {DISTINCTIVE}", forge=True)
        stale = slack.command("UANA", f"<@UBEN> 10 for {DISTINCTIVE}", timestamp=1)
        wrong_secret = SlackDriver(flask_transport(web.test_client()), "not-the-secret").command(
            "UANA", f"{DISTINCTIVE} <@UBEN> 10"
        )
    finally:
        logging.getLogger().handlers.clear()
    assert forged.status == stale.status == wrong_secret.status == 401
    assert DISTINCTIVE not in caplog.text
    assert DISTINCTIVE not in stream.getvalue()
    assert "refused a Slack request" in stream.getvalue()  # the refusal itself is logged
    assert "v0=" not in caplog.text  # nor the signature it came with


def test_a_signed_request_is_still_answered(slack):
    assert slack.command("UANA", "balance").status == 200
