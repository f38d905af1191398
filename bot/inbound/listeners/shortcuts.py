"""The message shortcut "Give kudos for this": the give form, prefilled with author and link."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App
from slack_sdk.errors import SlackApiError

from bot.context import Bot
from bot.looks.modals import give_modal

log = logging.getLogger("plaudit.slack.shortcuts")


def register(app: App, bot: Bot) -> None:
    @app.shortcut("give_kudos_for_message")
    def on_message_shortcut(ack: Ack, shortcut: dict, client) -> None:
        ack()
        channel = (shortcut.get("channel") or {}).get("id")
        message = shortcut.get("message") or {}
        author = message.get("user")
        link = None
        try:
            link = client.chat_getPermalink(channel=channel, message_ts=message.get("ts"))["permalink"]
        except SlackApiError as exc:
            log.info("no permalink: %s", exc.response.get("error"))
        view = give_modal(
            bot.settings.recognition, users=[author] if author else None, link=link, channel=channel
        )
        client.views_open(trigger_id=shortcut["trigger_id"], view=view)

    @app.shortcut("give_kudos")
    def on_global_shortcut(ack: Ack, shortcut: dict, client) -> None:
        ack()
        client.views_open(trigger_id=shortcut["trigger_id"], view=give_modal(bot.settings.recognition))
