"""How refusals read in Slack: what went wrong, then the usage."""

from __future__ import annotations

import re

from bot.inbound.kudos_parser import USAGE
from rewards.model import Recognition

_NAMED_MENTION = re.compile(r"<@([UW][A-Z0-9]+)\|[^>]*>")


def explain(message: str, *, usage: bool = True) -> dict:
    """An ephemeral acknowledgement: the problem, and how to use the command."""
    text = f":warning: {message}"
    if usage:
        text += f"\n\n{USAGE}"
    return {"response_type": "ephemeral", "text": text}


# Slack's limits (Block Kit reference): longer texts are refused with invalid_blocks.
SECTION_TEXT_LIMIT = 3000
CONTEXT_TEXT_LIMIT = 3000
MESSAGE_TEXT_LIMIT = 40000


def fit(text: str, limit: int = SECTION_TEXT_LIMIT) -> str:
    """`text` cut to at most `limit` characters with an ellipsis, never inside a <…> or &…; token."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    opened = cut.rfind("<")
    if opened > cut.rfind(">"):
        cut = cut[:opened]
    entity = cut.rfind("&")
    if entity > cut.rfind(";"):
        cut = cut[:entity]
    return cut + "…"


def escape(text: str) -> str:
    """Text a person typed, made safe to show in Slack mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def strip_names(text: str) -> str:
    """Keep mentions as bare ids (<@U123>) so no display name is stored; Slack renders them."""
    return _NAMED_MENTION.sub(r"<@\1>", text)


def points(n: int) -> str:
    return f"{n} point" if n == 1 else f"{n} points"


def mentions(slack_ids: list[str]) -> str:
    ids = [f"<@{s}>" for s in slack_ids]
    return ids[0] if len(ids) == 1 else ", ".join(ids[:-1]) + " and " + ids[-1]


def given_but_not_shown(recognition: Recognition) -> str:
    """The giver's private word when a kudos was given but its message could not be shown."""
    each = " each" if len(recognition.recipient_ids) > 1 else ""
    return (
        f":white_check_mark: Given: {points(recognition.points_each)}{each} to"
        f" {len(recognition.recipient_ids)} {'person' if len(recognition.recipient_ids) == 1 else 'people'}"
        f" (recognition #{recognition.id}). I could not show the message here; they will be told."
    )
