"""Block Kit builders for messages: the kudos announcement, reward lists and approval requests."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.looks.replies import escape, mentions
from bot.looks.replies import points as points_word
from rewards.model import CatalogItem


def kudos_text(giver: str, recipients: list[str], points: int, reason: str, value: str | None) -> str:
    each = " each" if len(recipients) > 1 else ""
    tag = f" #{value}" if value else ""
    return (
        f":tada: <@{giver}> gave {mentions(recipients)} *{points_word(points)}*{each}"
        f" for {escape(reason)}{tag}"
    )


def kudos_blocks(text: str, link: str | None = None) -> list[dict]:
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=text))]
    if link:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"<{link}|the message>")]))
    return [b.to_dict() for b in blocks]


def reward_blocks(items: list[CatalogItem], heading: str = "*Rewards you can redeem*") -> list[dict]:
    blocks = [SectionBlock(text=MarkdownTextObject(text=heading))]
    for item in items:
        blocks.append(
            SectionBlock(
                block_id=f"reward_{item.id}",
                text=MarkdownTextObject(text=reward_line(item)),
                accessory=ButtonElement(text="Redeem", action_id="redeem", value=str(item.id)),
            )
        )
    if not items:
        blocks.append(SectionBlock(text=MarkdownTextObject(text="_The catalog is empty._")))
    return [b.to_dict() for b in blocks]


def reward_line(item: CatalogItem) -> str:
    line = f"*{escape(item.name)}* — {item.points_cost} points"
    if item.description:
        line += f"\n{escape(item.description)}"
    if item.stock is not None:
        line += f"\n_{item.stock} left_"
    return line


def approval_blocks(text: str, redemption_id: int) -> list[dict]:
    """A request to decide, with Approve and Reject buttons carrying the redemption id."""
    value = str(redemption_id)
    return [
        b.to_dict()
        for b in (
            SectionBlock(block_id=f"redemption_{redemption_id}", text=MarkdownTextObject(text=text)),
            ActionsBlock(
                block_id=f"decide_{redemption_id}",
                elements=[
                    ButtonElement(
                        text="Approve", action_id="redemption_approve", value=value, style="primary"
                    ),
                    ButtonElement(text="Reject", action_id="redemption_reject", value=value, style="danger"),
                ],
            ),
        )
    ]


def decided_blocks(text: str, decision: str) -> list[dict]:
    return [
        b.to_dict()
        for b in (
            SectionBlock(text=MarkdownTextObject(text=text)),
            ContextBlock(elements=[MarkdownTextObject(text=decision)]),
        )
    ]
