"""How refusals read in Slack: what went wrong, then the usage."""

from __future__ import annotations

import re

from bot.inbound.kudos_parser import USAGE

_NAMED_MENTION = re.compile(r"<@([UW][A-Z0-9]+)\|[^>]*>")


def explain(message: str, *, usage: bool = True) -> dict:
    """An ephemeral acknowledgement: the problem, and how to use the command."""
    text = f":warning: {message}"
    if usage:
        text += f"\n\n{USAGE}"
    return {"response_type": "ephemeral", "text": text}


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
