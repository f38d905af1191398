"""Events: App Home opened, and emoji reactions that give (and take back) kudos."""

from __future__ import annotations

import logging

from slack_bolt import App

from bot.context import Bot
from bot.inbound.home_updates import HomeUpdates
from rewards.errors import DomainError
from rewards.services.reactions import React, give_reaction_kudos, reverse_reaction_kudos
from storage.recognition.reactions import SqlReactionLog

log = logging.getLogger("plaudit.slack.events")


def register(app: App, bot: Bot, homes: HomeUpdates) -> None:
    @app.event("app_home_opened")
    def on_home(event: dict) -> None:
        if event.get("tab", "home") == "home":  # a slow home is published after the 200, not retried
            homes.request(event["user"])

    @app.event("reaction_added")
    def on_reaction_added(event: dict, body: dict) -> None:
        if not _counts(bot, event):
            return
        try:
            giver = bot.directory.employee_for(event["user"])
            author = bot.directory.employee_for(event["item_user"])
            give_reaction_kudos(
                bot.store.uow(),
                SqlReactionLog.of,
                React(
                    giver_id=giver.id,
                    recipient_id=author.id,
                    message_ref=_ref(event),
                    idempotency_key=f"slack-event:{body['event_id']}",
                    emoji=event["reaction"],
                ),
                bot.settings.recognition,
                bot.clock,
            )
        except DomainError as exc:
            log.info("reaction kudos refused: %s", exc.code)

    @app.event("reaction_removed")
    def on_reaction_removed(event: dict, body: dict) -> None:
        if not _counts(bot, event):
            return
        try:
            giver = bot.directory.employee_for(event["user"])
            reverse_reaction_kudos(
                bot.store.uow(),
                SqlReactionLog.of,
                giver.id,
                _ref(event),
                f"slack-event:{body['event_id']}",
                bot.config.reaction_undo_window,
                bot.clock,
                timezone=bot.settings.recognition.timezone,
            )
        except DomainError as exc:
            log.info("reaction reversal refused: %s", exc.code)


def _counts(bot: Bot, event: dict) -> bool:
    item = event.get("item") or {}
    return (
        event.get("reaction", "").split("::")[0] == bot.config.reaction_emoji
        and item.get("type") == "message"
        and bool(event.get("item_user"))
    )


def _ref(event: dict) -> str:
    item = event["item"]
    return f"{item.get('channel')}:{item.get('ts')}:{event['reaction'].split('::')[0]}"
