"""Approver decisions from Slack: who may decide, the idempotency key, and the message update."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.context import Bot
from bot.inbound import home
from bot.looks.blocks import decided_blocks
from bot.looks.replies import escape
from rewards.errors import DomainError, IllegalTransition
from rewards.model import Redemption
from rewards.services.redemptions import decide_redemption, may_decide

log = logging.getLogger("plaudit.slack.decisions")

PAST = {"approve": "Approved", "reject": "Rejected"}


def origin(body: dict) -> tuple[str | None, str | None]:
    """The channel and ts of the message the button was on (None, None in App Home)."""
    container = body.get("container") or {}
    if container.get("type") == "message":
        return container.get("channel_id"), container.get("message_ts")
    return None, None


def button_key(body: dict, action: dict) -> str:
    """One key per button press target: the message ts (or home view) plus the action id."""
    container = body.get("container") or {}
    where = container.get("message_ts") or container.get("view_id") or body.get("trigger_id")
    return f"slack-action:{where}:{action['action_id']}:{action.get('value', '')}"


def check_approver(bot: Bot, body: dict, redemption_id: int) -> bool:
    """True if the presser may decide; otherwise tell them so, privately, and return False."""
    try:
        actor = bot.directory.employee_for(body["user"]["id"])
    except DomainError as exc:  # an account closed, say: nothing to decide with
        refuse(bot, body, exc.message)
        return False
    with bot.store.reader() as uow:
        redemption = uow.redemptions.get(redemption_id)
        owner = uow.employees.get(redemption.employee_id) if redemption else None
        allowed = owner is not None and may_decide(uow.employees, owner, actor.id, bot.redemption_policy())
    if allowed:
        return True
    if owner is None:
        refuse(bot, body, f"There is no redemption #{redemption_id}.")
    elif owner.id == actor.id:
        refuse(bot, body, "Nobody may approve or reject their own redemption.")
    else:
        refuse(bot, body, "Only the designated approver can decide this redemption.")
    return False


def decide_from_button(
    bot: Bot,
    body: dict,
    action: dict,
    verb: str,
    reason: str | None = None,
    key: str | None = None,
    where: tuple | None = None,
) -> str | None:
    """Decide; update the message or home; return an error message for the presser, if any."""
    redemption_id = int(action["value"])
    if reason is None and not check_approver(bot, body, redemption_id):
        return None
    actor = bot.directory.employee_for(body["user"]["id"])
    try:
        decided = decide_redemption(
            bot.store.uow(),
            redemption_id,
            verb,
            key or button_key(body, action),
            bot.clock,
            bot.redemption_policy(),
            actor_id=actor.id,
            reason=reason,
        )
    except IllegalTransition as exc:
        refuse(bot, body, exc.message)
        return exc.message
    except DomainError as exc:
        if reason is None:
            refuse(bot, body, exc.message)
        return exc.message
    show_decision(bot, body, decided, where or origin(body))
    return None


def show_decision(bot: Bot, body: dict, decided: Redemption, where: tuple) -> None:
    channel, ts = where
    if not channel or not ts:
        home.publish(bot, body["user"]["id"])
        return
    verb = PAST.get("approve" if decided.state.value in ("approved", "fulfilled") else "reject")
    text = f"Redemption #{decided.id} of <@{_slack_id(bot, decided.employee_id)}>: {decided.points} points"
    decision = f"{verb} by <@{body['user']['id']}>"
    if decided.decision_reason and decided.state.value == "rejected":
        decision += f": {escape(decided.decision_reason)}"
    try:
        bot.client.chat_update(
            channel=channel, ts=ts, text=f"{text} — {decision}", blocks=decided_blocks(text, decision)
        )
    except SlackApiError as exc:
        log.warning("could not update the approval message: %s", exc.response.get("error"))


def refuse(bot: Bot, body: dict, message: str) -> None:
    channel = (body.get("container") or {}).get("channel_id") or (body.get("channel") or {}).get("id")
    user = body["user"]["id"]
    try:
        if channel:
            bot.client.chat_postEphemeral(channel=channel, user=user, text=f":no_entry: {message}")
        else:
            bot.client.chat_postMessage(channel=user, text=f":no_entry: {message}")
    except SlackApiError as exc:
        log.warning("could not tell the presser: %s", exc.response.get("error"))


def _slack_id(bot: Bot, employee_id: str) -> str:
    with bot.store.reader() as uow:
        employee = uow.employees.get(employee_id)
    return (employee.slack_user_id if employee else None) or "unknown"
