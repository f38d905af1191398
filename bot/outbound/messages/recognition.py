"""Renderers for recognition events: a DM to each recipient, and the public post for the modal."""

from __future__ import annotations

from typing import Any

from bot.config import BotConfig
from bot.looks.blocks import kudos_blocks, kudos_text
from bot.looks.replies import escape, points
from bot.outbound.notifier import RenderContext, SlackPost


def recognition_created(data: dict[str, Any], ctx: RenderContext) -> list[SlackPost]:
    giver = ctx.slack_id(data["giver_id"])
    recipients = [ctx.slack_id(r) for r in data["recipient_ids"]]
    context = data.get("context") or {}
    in_slack = [slack_id for slack_id in recipients if slack_id]
    posts = [_dm(slack_id, giver, data, context.get("link")) for slack_id in in_slack]
    everyone_in_slack = len(in_slack) == len(recipients)
    if data.get("source") == "reaction" or data.get("private") or not giver or not everyone_in_slack:
        return posts
    text = kudos_text(giver, in_slack, data["points_each"], data["reason"], data.get("value"))
    for channel in public_channels(context, BotConfig.from_mapping(ctx.settings).kudos_channel):
        posts.append(SlackPost(channel=channel, text=text, blocks=kudos_blocks(text, context.get("link"))))
    return posts


def public_channels(context: dict[str, str], kudos_channel: str | None) -> list[str]:
    """Where a public kudos is posted after commit: the channel it was given from when its
    door did not already post there (`announce`), and the kudos feed, once each."""
    origin = context.get("channel") or None
    channels = [origin] if context.get("announce") and origin else []
    if kudos_channel and kudos_channel != origin:
        channels.append(kudos_channel)
    return [c for c in channels if c]


def _dm(slack_id: str, giver: str | None, data: dict[str, Any], link: str | None) -> SlackPost:
    who = f"<@{giver}>" if giver else "A colleague"
    tag = f" #{data['value']}" if data.get("value") else ""
    if data.get("source") == "reaction":
        text = f"{who} gave you {points(data['points_each'])} with a :{data['reason']}: reaction."
    else:
        text = f"{who} gave you *{points(data['points_each'])}* for {escape(data['reason'])}{tag}"
    return SlackPost(channel=slack_id, text=text, blocks=kudos_blocks(text, link))


RENDERERS = {"recognition.created": recognition_created}
