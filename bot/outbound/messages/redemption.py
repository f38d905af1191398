"""Renderers for redemption events: the approval request, and what the employee is told."""

from __future__ import annotations

from typing import Any

from bot.looks.blocks import approval_blocks
from bot.looks.replies import escape
from bot.outbound.notifier import RenderContext, SlackPost


def requested(data: dict[str, Any], ctx: RenderContext) -> list[SlackPost]:
    if data.get("state") != "requested":
        return []  # completed at once: "redemption.approved" tells the employee
    employee = ctx.slack_id(data["employee_id"])
    name = _item_name(data, ctx)
    who = f"<@{employee}>" if employee else "An employee"
    text = f"{who} asks to redeem *{name}* for {data['points']} points (#{data['redemption_id']})."
    posts = [
        SlackPost(channel=slack_id, text=text, blocks=approval_blocks(text, data["redemption_id"]))
        for slack_id in (ctx.slack_id(a) for a in data.get("approvers") or [])
        if slack_id
    ]
    if employee:
        waiting = (
            "an approver decides."
            if data.get("approvers")
            else "an approver decides — none is configured yet, so please tell your Plaudit admin."
        )
        text = f"You asked for *{name}*; {data['points']} points are held while {waiting}"
        posts.append(SlackPost(channel=employee, text=text))
    return posts


def _told(template: str):
    def render(data: dict[str, Any], ctx: RenderContext) -> list[SlackPost]:
        employee = ctx.slack_id(data["employee_id"])
        if not employee:
            return []
        decider = ctx.slack_id(data.get("decided_by")) if data.get("decided_by") else None
        text = template.format(
            name=_item_name(data, ctx),
            points=data["points"],
            by=f" by <@{decider}>" if decider else "",
            reason=escape(data.get("reason") or "no reason given"),
        )
        return [SlackPost(channel=employee, text=text)]

    return render


def fulfilled(data: dict[str, Any], ctx: RenderContext) -> list[SlackPost]:
    employee = ctx.slack_id(data["employee_id"])
    if not employee:
        return []
    with ctx.store.reader() as uow:  # the code goes to its owner only, never into the outbox
        redemption = uow.redemptions.get(data["redemption_id"])
    details = f"\n{escape(redemption.fulfilment)}" if redemption and redemption.fulfilment else ""
    return [SlackPost(channel=employee, text=f"Your *{_item_name(data, ctx)}* is here.{details}")]


def _item_name(data: dict[str, Any], ctx: RenderContext) -> str:
    item = ctx.item(data["item_id"])
    return escape(item.name) if item else "a reward"


RENDERERS = {
    "redemption.requested": requested,
    "redemption.approved": _told("Your *{name}* ({points} points) is approved{by}."),
    "redemption.rejected": _told("Your *{name}* was rejected{by}: {reason}. The {points} points are back."),
    "redemption.cancelled": _told("Your *{name}* was cancelled; the {points} points are back."),
    "redemption.expired": _told("Your request for *{name}* expired; the {points} points are back."),
    "redemption.fulfilled": fulfilled,
}
