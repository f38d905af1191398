"""Renderers: one function per outbox topic, turning an event into Slack posts."""

from __future__ import annotations

from bot.outbound.notifier import Renderer


def all_renderers() -> dict[str, Renderer]:
    """Every topic Plaudit tells Slack about; each topic has exactly one renderer."""
    from bot.outbound.messages import awards, recognition, redemption, scheduler

    renderers: dict[str, Renderer] = {}
    for module in (recognition, redemption, awards, scheduler):
        clash = renderers.keys() & module.RENDERERS.keys()
        if clash:
            raise RuntimeError(f"{module.__name__} renders {sorted(clash)} a second time")
        renderers.update(module.RENDERERS)
    return renderers
