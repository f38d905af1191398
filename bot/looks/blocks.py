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

from bot.looks.replies import CONTEXT_TEXT_LIMIT, SECTION_TEXT_LIMIT, escape, fit, mentions
from bot.looks.replies import points as points_word
from rewards.model import CatalogItem, Recognition


def kudos_text(giver: str, recipients: list[str], points: int, reason: str, value: str | None) -> str:
    each = " each" if len(recipients) > 1 else ""
    tag = f" #{value}" if value else ""
    return (
        f":tada: <@{giver}> gave {mentions(recipients)} *{points_word(points)}*{each}"
        f" for {escape(reason)}{tag}"
    )


def confirmation_text(
    giver: str, recipients: list[str], recognition: Recognition, channels: list[str]
) -> str:
    """What the giver reads once a kudos from the form is given: what, and where it is posted."""
    text = kudos_text(giver, recipients, recognition.points_each, recognition.reason, recognition.value)
    if recognition.private:
        where = "It is private: only they are told."
    elif channels:
        where = "It will be posted in " + " and ".join(f"<#{c}>" for c in channels) + "."
    else:
        where = "Only they are told: no kudos channel is set up for posts from this form."
    return f"{fit(text, SECTION_TEXT_LIMIT - 200)}\n\n{where}"


def kudos_blocks(text: str, link: str | None = None) -> list[dict]:
    """The kudos as a section, shortened to fit Slack's limits, with the message it thanks for."""
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=fit(text)))]
    if link and len(link) < CONTEXT_TEXT_LIMIT - 20:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"<{link}|the message>")]))
    return [b.to_dict() for b in blocks]


def reward_blocks(items: list[CatalogItem], heading: str = "*Rewards you can redeem*") -> list[dict]:
    blocks = [SectionBlock(text=MarkdownTextObject(text=heading))]
    for item in items:
        blocks.append(
            SectionBlock(
                block_id=f"reward_{item.id}",
                text=MarkdownTextObject(text=fit(reward_line(item))),
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
            SectionBlock(block_id=f"redemption_{redemption_id}", text=MarkdownTextObject(text=fit(text))),
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
            SectionBlock(text=MarkdownTextObject(text=fit(text))),
            ContextBlock(elements=[MarkdownTextObject(text=fit(decision, CONTEXT_TEXT_LIMIT))]),
        )
    ]
