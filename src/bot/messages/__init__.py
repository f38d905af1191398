"""Renderers: one function per outbox topic, turning an event into Slack posts."""

from __future__ import annotations

from bot.messages import scheduler
from bot.notifier import Renderer


def all_renderers() -> dict[str, Renderer]:
    """Every topic Plaudit tells Slack about (each area's module adds its RENDERERS here)."""
    from bot.messages import recognition, redemption

    renderers: dict[str, Renderer] = {}
    renderers.update(scheduler.RENDERERS)  # first, so an area's own renderer of a topic wins
    renderers.update(recognition.RENDERERS)
    renderers.update(redemption.RENDERERS)
    return renderers
