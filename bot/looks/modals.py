"""Block Kit builders for modals: give kudos, confirm a redemption, reject with a reason."""

from __future__ import annotations

import json

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
    UserMultiSelectElement,
)
from slack_sdk.models.views import View

from bot.looks.blocks import reward_line
from bot.looks.replies import fit
from rewards.model import CatalogItem
from rewards.policy import MAX_DECISION_REASON_LENGTH, RecognitionPolicy

MODAL_TITLE_LIMIT = 24


def give_modal(
    policy: RecognitionPolicy,
    *,
    users: list[str] | None = None,
    link: str | None = None,
    channel: str | None = None,
) -> dict:
    """The give-kudos form; `users` and `link` prefill it (from a message shortcut)."""
    visibility = [
        Option(value="public", label="Public: post it in the channel"),
        Option(value="private", label="Private: only they are told"),
    ]
    blocks: list[Block] = [
        InputBlock(
            block_id="recipients",
            label="Who?",
            element=UserMultiSelectElement(
                action_id="users", initial_users=users or None, placeholder="Pick people"
            ),
        ),
        InputBlock(
            block_id="points",
            label=f"Points each (1–{policy.max_points})",
            element=PlainTextInputElement(action_id="points", initial_value=str(policy.default_points)),
        ),
        InputBlock(
            block_id="value",
            label="Value",
            optional=True,
            element=StaticSelectElement(
                action_id="value",
                placeholder="Pick a value",
                options=[Option(value=v, label=f"#{v}") for v in policy.values],
            ),
        ),
        InputBlock(
            block_id="reason",
            label="What for?",
            element=PlainTextInputElement(
                action_id="reason", multiline=True, max_length=policy.max_reason_length
            ),
        ),
        InputBlock(
            block_id="visibility",
            label="Who sees it",
            element=RadioButtonsElement(
                action_id="visibility", options=visibility, initial_option=visibility[0]
            ),
        ),
    ]
    if link:
        blocks.insert(0, ContextBlock(elements=[MarkdownTextObject(text=f"For <{link}|this message>")]))
    meta = json.dumps({"channel": channel, "link": link})
    return View(
        type="modal",
        callback_id="give_kudos",
        title="Give kudos",
        submit="Give",
        close="Cancel",
        blocks=blocks,
        private_metadata=meta,
    ).to_dict()


def confirm_redeem_modal(item: CatalogItem, wallet: int) -> dict:
    text = f"{reward_line(item)}\n\nYou have *{wallet} points*. Redeem this reward?"
    return View(
        type="modal",
        callback_id="redeem_confirm",
        title="Redeem",
        submit="Redeem",
        close="Cancel",
        private_metadata=json.dumps({"item_id": item.id}),
        blocks=[SectionBlock(text=MarkdownTextObject(text=fit(text)))],
    ).to_dict()


def notice_modal(title: str, text: str) -> dict:
    """A modal that only says something (the outcome of a confirm)."""
    return View(
        type="modal",
        title=fit(title, MODAL_TITLE_LIMIT),
        close="Close",
        blocks=[SectionBlock(text=MarkdownTextObject(text=fit(text)))],
    ).to_dict()


def reject_modal(redemption_id: int, channel: str | None, ts: str | None, key: str) -> dict:
    meta = json.dumps({"redemption_id": redemption_id, "channel": channel, "ts": ts, "key": key})
    return View(
        type="modal",
        callback_id="reject_reason",
        title="Reject redemption",
        submit="Reject",
        close="Cancel",
        private_metadata=meta,
        blocks=[
            InputBlock(
                block_id="reason",
                label="Why?",
                element=PlainTextInputElement(
                    action_id="reason", multiline=True, max_length=MAX_DECISION_REASON_LENGTH
                ),
            )
        ],
    ).to_dict()
