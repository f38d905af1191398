"""Answers to the `/kudos` subcommands: balance, leaderboard, history, rewards, redeem, help."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from bot.context import Bot
from bot.inbound.kudos_parser import USAGE, Subcommand
from bot.looks.blocks import reward_blocks
from bot.looks.history import history_line
from bot.looks.replies import MESSAGE_TEXT_LIMIT, explain, fit, points
from rewards.model import RedemptionState
from rewards.periods import local_date, period_start
from rewards.services.redemptions import request_redemption
from storage.reads import activity, catalog_and_approvals
from storage.reads import leaderboard as boards

HISTORY_PAGE_SIZE = 10
PERIOD_OF = {"week": "weekly", "month": "monthly", "quarter": "quarterly"}


def answer(bot: Bot, slack_user_id: str, sub: Subcommand, trigger_id: str) -> dict:
    """The ephemeral acknowledgement for a subcommand (domain errors propagate)."""
    if sub.name == "help":
        return {"response_type": "ephemeral", "text": USAGE}
    if sub.name == "leaderboard":
        return leaderboard(bot, sub.args)
    if sub.name == "rewards":
        items = catalog_and_approvals.active_catalog(bot.store)
        return {
            "response_type": "ephemeral",
            "text": "Rewards you can redeem",
            "blocks": reward_blocks(items),
        }
    employee = bot.directory.employee_for(slack_user_id)
    if sub.name == "balance":
        return _text(balance_text(bot, employee.id))
    if sub.name == "history":
        return _text(history_text(bot, employee.id, int(sub.args[0]) if sub.args else 1))
    return redeem(bot, employee.id, " ".join(sub.args), trigger_id)


def balance_text(bot: Bot, employee_id: str) -> str:
    found = activity.balances(bot.store, employee_id)
    held = f" ({found.held} held for pending rewards)" if found.held else ""
    return f"You have *{found.wallet} points* to spend{held} and *{found.allowance} points* left to give."


def history_text(bot: Bot, employee_id: str, page: int = 1) -> str:
    """Page `page` of the person's history, in sentences, with how to read the next page."""
    found = history_page(bot, employee_id, page)
    if found is None:
        return f"Your history has fewer than {page} pages; see `/kudos history`."
    if not found.entries:
        return "No kudos given or received and no rewards redeemed yet."
    slack_of = slack_lookup(bot, found.entries)
    lines = [f"• {history_line(e, slack_of)}" for e in found.entries]
    more = f"\nOlder: `/kudos history {page + 1}`" if found.next_cursor else ""
    title = "*Your kudos and rewards*" + (f" — page {page}" if page > 1 else "")
    return fit(title + "\n" + "\n".join(lines) + more, MESSAGE_TEXT_LIMIT)


def history_page(bot: Bot, employee_id: str, page: int) -> activity.ActivityPage | None:
    """The page numbered `page` (1 is the newest, at most MAX_HISTORY_PAGE); None past the end.

    One read whatever the page: the streams skip the earlier pages' entries by index."""
    skip = (page - 1) * HISTORY_PAGE_SIZE
    found = activity.activity_page(bot.store, employee_id, size=HISTORY_PAGE_SIZE, skip=skip)
    return found if found.exists else None


def slack_lookup(bot: Bot, entries=()) -> Callable[[str | None], str | None]:
    """Employee id → Slack user id: everyone the entries name read in one query, others once each."""
    known: dict[str, str | None] = {}
    named = {i for e in entries for i in _people_of(e) if i}
    if named:
        with bot.store.reader() as uow:
            found = uow.employees.get_many(named, personal=False)
        known = {i: (found[i].slack_user_id if i in found else None) for i in named}

    def slack_of(employee_id: str | None) -> str | None:
        if not employee_id:
            return None
        if employee_id not in known:
            with bot.store.reader() as uow:
                employee = uow.employees.get(employee_id)
            known[employee_id] = employee.slack_user_id if employee else None
        return known[employee_id]

    return slack_of


def _people_of(entry: activity.ActivityEntry) -> list[str | None]:
    if entry.recognition is not None:
        return [entry.recognition.giver_id, *entry.recognition.recipient_ids]
    if entry.redemption is not None:
        return [entry.redemption.decided_by]
    return []


def leaderboard(bot: Bot, args: list[str]) -> dict:
    period = next((a.lower() for a in args if not a.startswith("#")), "month")
    value = next((a.lstrip("#").lower() for a in args if a.startswith("#")), None)
    if value is not None and value not in bot.settings.recognition.values:
        return explain(f"#{value} is not one of our values.", usage=False)
    rows = boards.leaderboard(bot.store, period, value, at=bot.clock.now(), timezone=bot.settings.timezone)
    title = f"*Leaderboard — {'all time' if period == 'all' else 'this ' + period}"
    title += f" #{value}*" if value else "*"
    lines = [f"{n}. <@{_slack(bot, r.employee_id)}> — {points(r.points)}" for n, r in enumerate(rows, 1)]
    return _text(title + "\n" + ("\n".join(lines) or "_No kudos yet._"))


def redeem(bot: Bot, employee_id: str, wanted: str, trigger_id: str) -> dict:
    item = catalog_and_approvals.find_item(bot.store, wanted)
    if item is None:
        return explain(f"I found no reward called `{wanted}`; see `/kudos rewards`.", usage=False)
    redemption = request_redemption(
        bot.store.uow(),
        employee_id,
        item.id,
        f"slack-command:{trigger_id}",
        bot.redemption_policy(),
        bot.clock,
    )
    if redemption.state == RedemptionState.REQUESTED:
        return _text(
            f"You asked for *{item.name}* ({redemption.points} points held); an approver will decide."
        )
    return _text(f"*{item.name}* is yours for {redemption.points} points.")


def _since(bot: Bot, period: str) -> datetime | None:
    if period == "all":
        return None
    tz = bot.settings.timezone
    day = local_date(bot.clock.now(), tz)
    start = day.replace(month=1, day=1) if period == "year" else period_start(day, PERIOD_OF[period])
    return datetime.combine(start, time(0), tzinfo=ZoneInfo(tz)).astimezone(UTC)


def _slack(bot: Bot, employee_id: str) -> str:
    with bot.store.reader() as uow:
        employee = uow.employees.get(employee_id)
    return employee.slack_user_id if employee and employee.slack_user_id else "unknown"


def _text(text: str) -> dict:
    return {"response_type": "ephemeral", "text": text}
