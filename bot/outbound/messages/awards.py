"""Renderers for awards issued by HR or an integration: a DM to each person awarded."""

from __future__ import annotations

from typing import Any

from bot.looks.replies import escape, points
from bot.outbound.notifier import RenderContext, SlackPost


def award_issued(data: dict[str, Any], ctx: RenderContext) -> list[SlackPost]:
    if not data.get("notify", True):
        return []
    tag = f" #{data['value']}" if data.get("value") else ""
    text = (
        f":gift: You received *{points(data['points'])}* for {escape(data['reason'])}{tag}."
        " They are in your wallet: `/kudos rewards` shows what you can redeem."
    )
    recipients = (ctx.slack_id(employee_id) for employee_id in data.get("employee_ids", []))
    return [SlackPost(channel=slack_id, text=text) for slack_id in recipients if slack_id]


RENDERERS = {"award.issued": award_issued}
