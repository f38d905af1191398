"""Mounts Slack's endpoint, POST /slack/events, on the shared Flask app."""

from __future__ import annotations

from flask import Flask, request
from slack_bolt.adapter.flask import SlackRequestHandler

from bot.app import create_bolt_app, web_client
from bot.link import SlackLink
from bot.settings import BotSettings
from storage.store import Store

READINESS_CHECKS = "readiness_checks"  # app.extensions key: name -> () -> problem or None


def mount(app: Flask, settings: BotSettings, store: Store) -> None:
    """Every Slack request (commands, interactivity, events) arrives at /slack/events.

    Nothing is mounted unless both SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN are set. Slack
    being unreachable does not stop the mount: /readyz names it until the token is verified.
    """
    if not (settings.slack_signing_secret and settings.slack_bot_token):
        return
    client = web_client(settings)
    link = SlackLink(client)
    handler = SlackRequestHandler(create_bolt_app(store, settings, client, link=link))
    add_readiness_check(app, "slack", link.problem)

    @app.post("/slack/events")
    def slack_events():
        return handler.handle(request)


def add_readiness_check(app: Flask, name: str, problem) -> None:
    """Name an outside dependency for /readyz: `problem()` is None when it is usable."""
    app.extensions.setdefault(READINESS_CHECKS, {})[name] = problem
