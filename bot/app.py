"""The Bolt app factory: signature checks on, fast acknowledgements, listeners registered."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk import WebClient

from bot.config import BotConfig
from bot.context import Bot
from bot.gate import SlackGate
from bot.inbound.identity import Directory
from bot.inbound.listeners import register_all
from bot.link import SlackLink
from bot.settings import BotSettings
from storage.store import Store


def web_client(settings: BotSettings) -> WebClient:
    """A Web API client for the configured bot token, sending every call to SLACK_API_URL."""
    return WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)


def create_bolt_app(
    store: Store,
    settings: BotSettings,
    client: WebClient | None = None,
    *,
    link: SlackLink | None = None,
    socket_mode: bool = False,
) -> App:
    """Plaudit's Bolt app; it starts even when Slack is unreachable.

    The bot token is verified by `link` (auth.test, retried in the background) instead of by
    Bolt at construction, and requests wait for it (`SlackGate`). Over HTTP every request's
    signature is verified; Socket Mode has no signatures to check.
    """
    client = client or web_client(settings)
    link = (link or SlackLink(client)).start()
    app = App(
        signing_secret=settings.slack_signing_secret,
        client=client,
        process_before_response=True,
        request_verification_enabled=False,  # SlackGate checks, without logging the body
        token_verification_enabled=False,  # SlackGate waits for the link's auth.test instead
        before_authorize=SlackGate(link, settings.slack_signing_secret, verify=not socket_mode),
        logger=logging.getLogger("plaudit.slack.bolt"),
    )
    bot = Bot(
        store=store,
        settings=settings,
        config=BotConfig.from_mapping(settings.extra),
        client=client,
        directory=Directory(store, client, settings),
    )
    register_all(app, bot)
    return app
