"""Socket Mode: receive Slack's requests over a WebSocket (development behind a firewall)."""

from __future__ import annotations

from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.app import create_bolt_app
from bot.settings import BotSettings
from storage.store import Store


def run_socket_mode(store: Store, settings: BotSettings) -> None:
    """Connect with SLACK_APP_TOKEN and serve until interrupted."""
    SocketModeHandler(create_bolt_app(store, settings, socket_mode=True), settings.slack_app_token).start()
