"""Slack messages for scheduled events: milestones, approval reminders, expiry, weekly digest."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock

from bot.looks.replies import fit
from bot.outbound.notifier import RenderContext, SlackPost
from rewards.model import Celebration

CHANNEL_SETTINGS = ("celebration_channel", "PLAUDIT_CELEBRATION_CHANNEL")


def _post(channel: str, text: str) -> SlackPost:
    block = SectionBlock(text=MarkdownTextObject(text=fit(text))).to_dict()
    return SlackPost(channel=channel, text=text, blocks=[block])


def _slack_id(ctx: RenderContext, employee_id: str | None) -> str | None:
    return ctx.slack_id(employee_id) if employee_id else None


def _headline(data: dict[str, Any], who: str) -> str:
    kind, number = data.get("milestone"), data.get("number")
    if kind == "work_anniversary":
        return f":tada: Happy {number}-year work anniversary, {who}!"
    if kind == "birthday":
        return f":birthday: Happy birthday, {who}!"
    if kind == "first_week":
        return f":wave: Welcome aboard, {who}!"
    if kind == "recognition_count":
        return f":star2: {who} has received {number} recognitions!"
    return f":tada: Congratulations, {who}!"


def milestone_awarded(data: dict[str, Any], ctx: RenderContext) -> list[SlackPost]:
    """A celebration post (unless private or none), a DM to the person, a heads-up to the manager."""
    ids = data.get("employee_ids") or []
    person = ctx.employee(ids[0]) if ids else None
    if person is None or not person.slack_user_id or not data.get("notify", True):
        return []
    mention, points = f"<@{person.slack_user_id}>", data.get("points", 0)
    headline = _headline(data, mention)
    posts = []
    channel = data.get("celebration_channel") or next(
        (ctx.settings.get(k) for k in CHANNEL_SETTINGS if ctx.settings.get(k)), None
    )
    if channel and person.celebration == Celebration.PUBLIC:
        posts.append(_post(channel, f"{headline} (+{points} points)"))
    posts.append(
        _post(person.slack_user_id, f"{_headline(data, 'you')} {points} points are now in your wallet.")
    )
    manager = _slack_id(ctx, person.manager_id)
    if manager and person.celebration != Celebration.NONE:
        posts.append(_post(manager, f"Heads-up: {headline.split(' ', 1)[1]} They received {points} points."))
    return posts


def _approver_posts(data: dict[str, Any], ctx: RenderContext, text: str) -> list[SlackPost]:
    posts = []
    for approver in data.get("approver_ids") or []:
        target = _slack_id(ctx, approver) or (approver if approver[:1] in "UW" else None)
        if target:
            posts.append(_post(target, text))
    return posts


def _requester(ctx: RenderContext, data: dict[str, Any], unknown: str) -> str:
    who = _slack_id(ctx, data.get("employee_id"))
    return f"<@{who}>" if who else unknown


def redemption_reminder(data: dict[str, Any], ctx: RenderContext) -> list[SlackPost]:
    """A reminder to the approver of a redemption still waiting for a decision."""
    requester = _requester(ctx, data, "A colleague")
    return _approver_posts(
        data,
        ctx,
        f":hourglass: Reminder: {requester} is waiting for your"
        f" decision on redemption #{data.get('redemption_id')}"
        f" ({data.get('points')} points).",
    )


def redemption_escalated(data: dict[str, Any], ctx: RenderContext) -> list[SlackPost]:
    """Escalation of a long-waiting redemption to the HR approvers."""
    requester = _requester(ctx, data, "an employee")
    return _approver_posts(
        data,
        ctx,
        f":rotating_light: Redemption #{data.get('redemption_id')}"
        f" by {requester} ({data.get('points')} points) has waited"
        f" {data.get('waited_days')} days for a decision. Please decide.",
    )


def weekly_digest(data: dict[str, Any], ctx: RenderContext) -> list[SlackPost]:
    """The week in recognition, posted to the recognition channel."""
    channel = data.get("channel")
    if not channel:
        return []
    values = ", ".join(f"#{v} ({n})" for v, n in data.get("top_values") or []) or "none yet"
    stars = (
        " ".join(f"<@{s}>" for s in (_slack_id(ctx, e) for e in data.get("top_recipient_ids") or []) if s)
        or "everyone"
    )
    count = data.get("recognitions", 0)
    text = (
        f":sparkles: *This week in recognition* ({data.get('week')}): "
        f"{count} recognition{'' if count == 1 else 's'}, {data.get('points', 0)} points.\n"
        f"Top values: {values}\nMost appreciated: {stars}\n"
        f"Milestones celebrated: {data.get('milestones', 0)}"
    )
    return [_post(channel, text)]


RENDERERS = {
    "milestone.awarded": milestone_awarded,
    "redemption.reminder": redemption_reminder,
    "redemption.escalated": redemption_escalated,
    "digest.weekly": weekly_digest,
}
