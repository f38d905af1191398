"""Modal submissions: give kudos (field errors in the form), confirm a redemption, reject with a reason."""

from __future__ import annotations

import json

from slack_bolt import Ack, App

from bot.context import Bot
from bot.inbound import decisions, giving
from bot.looks.blocks import confirmation_text
from bot.looks.modals import notice_modal
from bot.outbound.messages.recognition import public_channels
from rewards import errors
from rewards.model import RedemptionState
from rewards.services.redemptions import request_redemption

FIELD_OF = {
    errors.InvalidPoints: "points",
    errors.InsufficientPoints: "points",
    errors.DailyCapExceeded: "points",
    errors.ReasonRequired: "reason",
    errors.TextTooLong: "reason",
    errors.UnknownValue: "value",
}


def register(app: App, bot: Bot) -> None:
    @app.view("give_kudos")
    def on_give(ack: Ack, body: dict, view: dict) -> None:
        ack(**give_submission(bot, body, view))

    @app.view("redeem_confirm")
    def on_redeem(ack: Ack, body: dict, view: dict) -> None:
        ack(response_action="update", view=redeem_submission(bot, body, view))

    @app.view("reject_reason")
    def on_reject(ack: Ack, body: dict, view: dict) -> None:
        meta = json.loads(view.get("private_metadata") or "{}")
        reason = _value(view, "reason", "reason") or ""
        action = {"value": str(meta["redemption_id"]), "action_id": "redemption_reject"}
        problem = decisions.decide_from_button(
            bot, body, action, "reject", reason=reason, key=meta["key"], where=(meta["channel"], meta["ts"])
        )
        if problem:
            ack(response_action="errors", errors={"reason": problem})
        else:
            ack()


def give_submission(bot: Bot, body: dict, view: dict) -> dict:
    """The ack for the give form: nothing (close it) or field-level errors."""
    meta = json.loads(view.get("private_metadata") or "{}")
    users = view["state"]["values"]["recipients"]["users"].get("selected_users") or []
    raw_points = (_value(view, "points", "points") or "").strip()
    if not raw_points.lstrip("+").isdigit():
        return _errors("points", f"“{raw_points}” is not a whole number of points, like 10.")
    private = _value(view, "visibility", "visibility") == "private"
    context = {
        k: v
        for k, v in (("channel", meta.get("channel")), ("link", meta.get("link")), ("announce", "yes"))
        if v
    }
    try:
        recognition = giving.give(
            bot,
            body["user"]["id"],
            users,
            int(raw_points),
            _value(view, "reason", "reason") or "",
            _value(view, "value", "value"),
            key=f"slack-view:{view['id']}",
            private=private,
            context=context,
        )
    except errors.DomainError as exc:
        return _errors(FIELD_OF.get(type(exc), "recipients"), exc.message)
    channels = [] if private else public_channels(context, bot.config.kudos_channel)
    text = confirmation_text(body["user"]["id"], users, recognition, channels)
    return {"response_action": "update", "view": notice_modal("Kudos given", text)}


def redeem_submission(bot: Bot, body: dict, view: dict) -> dict:
    meta = json.loads(view.get("private_metadata") or "{}")
    employee = bot.directory.employee_for(body["user"]["id"])
    try:
        redemption = request_redemption(
            bot.store.uow(),
            employee.id,
            int(meta["item_id"]),
            f"slack-view:{view['id']}",
            bot.redemption_policy(),
            bot.clock,
        )
    except errors.DomainError as exc:
        return notice_modal("Not redeemed", f":warning: {exc.message}")
    if redemption.state == RedemptionState.REQUESTED:
        return notice_modal(
            "Requested", f"{redemption.points} points are held while an approver decides. I will message you."
        )
    return notice_modal(
        "Redeemed", f"Done: {redemption.points} points spent. I will message you the details."
    )


def _value(view: dict, block: str, action: str) -> str | None:
    state = view["state"]["values"].get(block, {}).get(action, {})
    if "selected_option" in state:
        return (state["selected_option"] or {}).get("value")
    return state.get("value")


def _errors(block: str, message: str) -> dict:
    return {"response_action": "errors", "errors": {block: message}}
