"""Mounts Slack's endpoint, POST /slack/events, on the shared Flask app."""

from __future__ import annotations

from flask import Flask, request
from slack_bolt.adapter.flask import SlackRequestHandler

from bot.app import create_bolt_app
from bot.settings import BotSettings
from storage.store import Store


def mount(app: Flask, settings: BotSettings, store: Store, *, token_verification: bool = True) -> None:
    """Every Slack request (commands, interactivity, events) arrives at /slack/events.

    Nothing is mounted unless both SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN are set.
    """
    if not (settings.slack_signing_secret and settings.slack_bot_token):
        return
    handler = SlackRequestHandler(create_bolt_app(store, settings, token_verification=token_verification))

    @app.post("/slack/events")
    def slack_events():
        return handler.handle(request)
