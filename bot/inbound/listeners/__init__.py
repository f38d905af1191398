"""Bolt listeners, one module per kind; each registers its callbacks on the app."""

from __future__ import annotations

from slack_bolt import App

from bot.context import Bot


def register_all(app: App, bot: Bot) -> None:
    from bot.inbound.listeners import actions, commands, events, shortcuts, views

    for module in (commands, actions, views, events, shortcuts):
        module.register(app, bot)
