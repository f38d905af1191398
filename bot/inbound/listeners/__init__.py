"""Bolt listeners, one module per kind; each registers its callbacks on the app."""

from __future__ import annotations

from slack_bolt import App

from bot.context import Bot
from bot.inbound import response_url
from bot.inbound.home_updates import HomeUpdates
from bot.inbound.read_budget import ReadBudget
from bot.inbound.slack_sends import quick_client


def register_all(app: App, bot: Bot) -> None:
    from bot.inbound.listeners import actions, commands, events, shortcuts, views

    reads = read_budget(bot)
    commands.register(app, bot, reads)
    homes = HomeUpdates(bot, reads, quick_client(bot.client))
    for home_door in (actions, events):
        home_door.register(app, bot, homes)
    for module in (views, shortcuts):
        module.register(app, bot)


def read_budget(bot: Bot) -> ReadBudget:
    """One bounded pool per app for the reads Slack waits on (command answers and App Home), with
    its own few senders for what goes to Slack afterwards."""
    return ReadBudget(
        bot.config.answer_budget_seconds,
        bot.config.read_workers,
        send=response_url.post,
        refusal=lambda url: response_url.refusal(url, bot.settings.slack_api_url),
    )
