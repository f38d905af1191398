"""Give kudos from Slack: resolve the people named, then call the recognition service once."""

from __future__ import annotations

from bot.context import Bot
from bot.looks.replies import strip_names
from rewards.model import Recognition
from rewards.services.recognition import GiveRecognition, give_recognition


def recipients_of(bot: Bot, giver_slack_id: str, user_ids: list[str], group_ids: list[str]) -> list[str]:
    """Slack ids named directly and through user groups (the giver left out of groups), once each."""
    named = list(user_ids)
    for group in group_ids:
        named += [u for u in bot.directory.group_members(group) if u != giver_slack_id]
    return list(dict.fromkeys(named))


def give(
    bot: Bot,
    giver_slack_id: str,
    recipient_slack_ids: list[str],
    points: int | None,
    reason: str,
    value: str | None,
    key: str,
    *,
    private: bool = False,
    context: dict[str, str] | None = None,
) -> Recognition:
    """Give `points` (the default when None) to each named person; the service enforces the rules."""
    giver_id = bot.directory.employee_id_for(giver_slack_id)
    recipient_ids = [bot.directory.employee_id_for(s, colleague=True) for s in recipient_slack_ids]
    policy = bot.settings.recognition
    cmd = GiveRecognition(
        giver_id=giver_id,
        recipient_ids=recipient_ids,
        points=policy.default_points if points is None else points,
        reason=strip_names(reason),
        idempotency_key=key,
        value=value,
        source="slack",
        private=private,
        context=dict(context or {}),
    )
    return give_recognition(bot.store.uow(), cmd, policy, bot.clock)
