"""App Home: balance, allowance and renewal, recent kudos, the catalog, approvals, preferences."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
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
from bot.inbound.answers import HISTORY_PAGE_SIZE, slack_lookup
from bot.looks.blocks import approval_blocks, reward_blocks
from bot.looks.history import history_line
from bot.looks.replies import fit
from rewards.errors import AccountClosed, DomainError
from rewards.model import Employee
from rewards.periods import local_date, next_period_start
from rewards.services.redemptions import waiting_for
from storage.reads import activity, catalog_and_approvals

log = logging.getLogger("plaudit.slack.home")

CELEBRATIONS = [
    ("public", "Public: celebrate in the channel"),
    ("private", "Private: just tell me"),
    ("none", "None: no celebration"),
]


def publish(bot: Bot, slack_user_id: str, history_cursor: str | None = None) -> None:
    """Build and publish the user's App Home (errors are logged, never raised to Slack)."""
    view = view_for(bot, slack_user_id, history_cursor)
    if view is None:
        return
    try:
        bot.client.views_publish(user_id=slack_user_id, view=view)
    except SlackApiError as exc:
        log.warning("views.publish failed: %s", exc.response.get("error"))


def view_for(bot: Bot, slack_user_id: str, history_cursor: str | None = None) -> dict | None:
    """The user's App Home view, or None when it cannot be built (logged)."""
    try:
        viewer = bot.directory.employee_for(slack_user_id)
    except AccountClosed as exc:  # only the viewer's own closed account shows the closed page
        return closed(exc.message)
    try:
        return build(bot, viewer, history_cursor)
    except DomainError as exc:
        log.warning("App Home not built: %s", exc.code)
        return None


def closed(message: str) -> dict:
    """The home of someone whose account was closed: just that."""
    return View(type="home", blocks=[SectionBlock(text=MarkdownTextObject(text=message))]).to_dict()


def build(bot: Bot, employee: Employee, history_cursor: str | None = None) -> dict:
    blocks = [
        HeaderBlock(text="Your kudos"),
        SectionBlock(text=MarkdownTextObject(text=_balance(bot, employee))),
        ActionsBlock(
            elements=[ButtonElement(text="Give kudos", action_id="open_give_modal", style="primary")]
        ),
        DividerBlock(),
    ]
    dicts = [b.to_dict() for b in blocks] + _history(bot, employee, history_cursor)
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


def _history(bot: Bot, employee: Employee, cursor: str | None) -> list[dict]:
    """A page of the person's history in sentences, with buttons to older and newest entries."""
    try:
        page = activity.activity_page(bot.store, employee.id, cursor, size=HISTORY_PAGE_SIZE)
    except ValueError:  # a cursor from an older build of the page: start again from the newest
        cursor, page = None, activity.activity_page(bot.store, employee.id, size=HISTORY_PAGE_SIZE)
    slack_of = slack_lookup(bot, page.entries)
    lines = [history_line(e, slack_of) for e in page.entries] or ["_Nothing yet: give your first kudos._"]
    title = "*Your kudos and rewards*" if cursor is None else "*Your kudos and rewards (older)*"
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=title))]
    blocks += [SectionBlock(text=MarkdownTextObject(text=fit(line))) for line in lines]
    buttons = []
    if page.next_cursor:
        buttons.append(ButtonElement(text="Older", action_id="history_older", value=page.next_cursor))
    if cursor is not None:
        buttons.append(ButtonElement(text="Newest", action_id="history_newest", value="newest"))
    if buttons:
        blocks.append(ActionsBlock(block_id="history_paging", elements=buttons))
    return [b.to_dict() for b in blocks]


def _approvals(bot: Bot, employee: Employee) -> list[dict]:
    pending = waiting_for(bot.store.reader(), employee.id, bot.redemption_policy())
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
