"""The baseline for bench/slack_ack.py: a bare Bolt app acknowledging a no-op command, on Flask."""

from __future__ import annotations

import os

from flask import Flask, request
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_sdk import WebClient

# Same client set-up as Plaudit's: Web API calls (Bolt's one auth.test) go to the fake Slack.
client = WebClient(token="xoxb-bench", base_url=os.environ["SLACK_API_URL"])
bolt = App(
    signing_secret=os.environ["SLACK_SIGNING_SECRET"],
    client=client,
    token_verification_enabled=False,
    process_before_response=True,
)


@bolt.command("/noop")
def noop(ack):
    ack()


handler = SlackRequestHandler(bolt)
app = Flask("bare")


@app.post("/slack/events")
def events():
    return handler.handle(request)
