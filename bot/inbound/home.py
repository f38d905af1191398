"""App Home: balance, allowance and renewal, recent kudos, the catalog, approvals, preferences."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.context import Bot
from bot.looks.blocks import approval_blocks, reward_blocks
from bot.looks.replies import escape, points
from rewards.model import Employee, Recognition
from rewards.periods import local_date, next_period_start
from rewards.services.redemptions import may_decide
from storage.reads import activity, catalog_and_approvals

log = logging.getLogger("plaudit.slack.home")

CELEBRATIONS = [
    ("public", "Public: celebrate in the channel"),
    ("private", "Private: just tell me"),
    ("none", "None: no celebration"),
]


def publish(bot: Bot, slack_user_id: str) -> None:
    """Build and publish the user's App Home (errors are logged, never raised to Slack)."""
    employee = bot.directory.employee_for(slack_user_id)
    try:
        bot.client.views_publish(user_id=slack_user_id, view=build(bot, employee))
    except SlackApiError as exc:
        log.warning("views.publish failed: %s", exc.response.get("error"))


def build(bot: Bot, employee: Employee) -> dict:
    blocks = [
        HeaderBlock(text="Your kudos"),
        SectionBlock(text=MarkdownTextObject(text=_balance(bot, employee))),
        ActionsBlock(
            elements=[ButtonElement(text="Give kudos", action_id="open_give_modal", style="primary")]
        ),
        DividerBlock(),
        SectionBlock(text=MarkdownTextObject(text=_recent(bot, employee))),
    ]
    dicts = [b.to_dict() for b in blocks]
    dicts += [
        DividerBlock().to_dict(),
        *reward_blocks(catalog_and_approvals.active_catalog(bot.store, limit=10)),
    ]
    dicts += _approvals(bot, employee)
    dicts += [DividerBlock().to_dict(), _celebration(employee).to_dict()]
    return View(type="home", blocks=dicts).to_dict()


def _balance(bot: Bot, employee: Employee) -> str:
    found = activity.balances(bot.store, employee.id)
    renews = next_period_start(
        local_date(bot.clock.now(), bot.settings.timezone), bot.settings.allowance.period
    )
    held = f" ({found.held} held)" if found.held else ""
    return (
        f"*{found.wallet} points* to spend{held}\n"
        f"*{found.allowance} points* left to give — renews on {renews:%d %b %Y}"
    )


def _recent(bot: Bot, employee: Employee) -> str:
    received = _standing(bot, activity.recent_recognitions(bot.store, employee.id, limit=5))
    given = _standing(bot, activity.recent_recognitions(bot.store, employee.id, given=True, limit=5))
    got = [_line(bot, r, r.giver_id, "from") for r in received] or ["_None yet._"]
    gave = [_line(bot, r, r.recipient_ids[0], "to") for r in given] or ["_None yet._"]
    return "\n".join(["*Kudos you received*", *got, "*Kudos you gave*", *gave])


def _standing(bot: Bot, recognitions: list[Recognition]) -> list[Recognition]:
    taken_back = catalog_and_approvals.reversed_among(bot.store, [r.id for r in recognitions])
    return [r for r in recognitions if r.id not in taken_back]


def _line(bot: Bot, recognition: Recognition, other_id: str, word: str) -> str:
    with bot.store.reader() as uow:
        other = uow.employees.get(other_id)
    who = f"<@{other.slack_user_id}>" if other and other.slack_user_id else "a colleague"
    what = (
        f"a :{recognition.reason}: reaction"
        if recognition.source == "reaction"
        else escape(recognition.reason)
    )
    return f"• {points(recognition.points_each)} {word} {who} for {what}"


def _approvals(bot: Bot, employee: Employee) -> list[dict]:
    policy = bot.redemption_policy()
    hr = employee.id in policy.hr_approver_ids
    scope = None if hr else catalog_and_approvals.reports_of(bot.store, employee.id)
    if scope == []:
        return []
    pending = []
    for redemption in catalog_and_approvals.pending_redemptions(bot.store, scope):
        with bot.store.reader() as uow:
            owner = uow.employees.get(redemption.employee_id)
        if owner and may_decide(owner, employee.id, policy):
            pending.append((redemption, owner))
    if not pending:
        return []
    blocks = [
        DividerBlock().to_dict(),
        SectionBlock(text=MarkdownTextObject(text="*Waiting for your approval*")).to_dict(),
    ]
    for redemption, owner in pending:
        text = f"<@{owner.slack_user_id}> asks to redeem {redemption.points} points (#{redemption.id})"
        blocks += approval_blocks(text, redemption.id)
    return blocks


def _celebration(employee: Employee) -> SectionBlock:
    options = [Option(value=v, label=label) for v, label in CELEBRATIONS]
    current = next(o for o in options if o.value == employee.celebration.value)
    return SectionBlock(
        block_id="celebration",
        text=MarkdownTextObject(text="*How should we celebrate your milestones?*"),
        accessory=StaticSelectElement(
            action_id="celebration_choice", options=options, initial_option=current
        ),
    )
