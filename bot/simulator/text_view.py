"""Slack messages and views as plain text, with numbered buttons (for `plaudit try`)."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Button:
    label: str
    action_id: str
    value: str
    channel: str | None  # where the message is (None for views)
    ts: str | None
    view_id: str | None = None


_MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|[^>]*)?>")
_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")


def plain(text: str, names: dict[str, str]) -> str:
    """Slack mrkdwn to terminal text: mentions as @name, links as 'label (url)'."""
    text = _MENTION.sub(lambda m: "@" + names.get(m.group(1), m.group(1)), text)
    text = _LINK.sub(r"\2 (\1)", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def blocks_text(
    blocks: list[dict],
    names: dict[str, str],
    buttons: list[Button],
    channel: str | None = None,
    ts: str | None = None,
    view_id: str | None = None,
) -> list[str]:
    """Lines for each block; buttons are appended to `buttons` and shown as [n] Label."""
    lines: list[str] = []
    for block in blocks or []:
        text = block.get("text")
        if isinstance(text, dict):
            lines += plain(text.get("text", ""), names).splitlines()
        elif block.get("type") == "input":
            lines.append(f"  ({block.get('block_id')}) {block['label']['text']}")
        for element in [block.get("accessory") or {}, *(block.get("elements") or [])]:
            if element.get("type") == "button":
                buttons.append(
                    Button(
                        element["text"]["text"],
                        element["action_id"],
                        element.get("value", ""),
                        channel,
                        ts,
                        view_id,
                    )
                )
                lines.append(f"    [{len(buttons)}] {element['text']['text']}")
            elif element.get("type") == "static_select":
                options = ", ".join(o["value"] for o in element.get("options", []))
                lines.append(f"    choose with: select {element['action_id']} <{options}>")
            elif element.get("type") in ("mrkdwn", "plain_text"):
                lines += plain(element.get("text", ""), names).splitlines()
    return lines
