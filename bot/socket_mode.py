"""Socket Mode: receive Slack's requests over a WebSocket (development behind a firewall)."""

from __future__ import annotations

import logging
import threading

from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.app import create_bolt_app, web_client
from bot.link import MAX_DELAY, SlackLink, quiet_client
from bot.settings import BotSettings
from storage.store import Store

log = logging.getLogger("plaudit.slack")


class SocketMode:
    """A Socket Mode connection that keeps trying, on a daemon thread, until Slack lets it in."""

    def __init__(self, store: Store, settings: BotSettings, *, first_delay: float = 1.0) -> None:
        client = web_client(settings)
        self.link = SlackLink(client)
        self.handler = SocketModeHandler(
            create_bolt_app(store, settings, client, link=self.link, socket_mode=True),
            settings.slack_app_token,
            web_client=quiet_client(client),  # apps.connections.open, retried below
        )
        self._first_delay = first_delay
        self._stopped = threading.Event()

    def problem(self) -> str | None:
        """None when connected with a verified token; otherwise what is missing (for /readyz)."""
        if self.handler.client.is_connected():
            return self.link.problem()
        return self.link.problem() or "the Socket Mode connection is not open yet"

    def start(self) -> SocketMode:
        threading.Thread(target=self._connect, name="plaudit-socket-mode", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self.handler.close()

    def _connect(self) -> None:
        delay, last = self._first_delay, ""
        while not self._stopped.is_set():
            try:
                self.handler.client.wss_uri = None  # a fresh URL each try: they are single-use
                self.handler.connect()  # once in, the client reconnects by itself
                log.info("connected to Slack over Socket Mode")
                return
            except Exception as failure:  # unreachable, or a refused app token
                if type(failure).__name__ != last:  # one line per change, not per attempt
                    last = type(failure).__name__
                    log.warning(
                        "cannot open the Socket Mode connection (%s); retrying in the background", last
                    )
            self._stopped.wait(delay)
            delay = min(delay * 2, MAX_DELAY)
