"""A person's history as sentences: the kudos they gave and received, the rewards they redeemed."""

from __future__ import annotations

from collections.abc import Callable

from bot.looks.replies import escape, fit
from rewards.model import Recognition, Redemption, RedemptionState
from storage.reads.activity import ActivityEntry

REASON_SHOWN = 200  # characters of a reason in a history line; the whole page must fit a message

SlackOf = Callable[[str | None], str | None]  # employee id → Slack user id, None when unknown


def history_line(entry: ActivityEntry, slack_of: SlackOf) -> str:
    """One entry as the person reads it, dated: “you thanked @ben 10 for the demo”."""
    when = f"`{entry.at:%d %b}`"
    if entry.recognition is not None:
        return f"{when} {_kudos(entry, entry.recognition, slack_of)}"
    if entry.redemption is not None:
        return f"{when} {_redeemed(entry.redemption, entry.item_name, slack_of)}"
    return when


def _kudos(entry: ActivityEntry, recognition: Recognition, slack_of: SlackOf) -> str:
    amount = recognition.points_each
    if entry.kind == "gave":
        names = _names([slack_of(r) for r in recognition.recipient_ids])
        each = " each" if len(recognition.recipient_ids) > 1 else ""
        line = f"you thanked {names} {amount}{each}"
    else:
        line = f"{_name(slack_of(recognition.giver_id))} thanked you {amount}"
    if recognition.source == "reaction":
        line += f" with a :{recognition.reason}: reaction"
    else:
        line += f" for {fit(escape(recognition.reason), REASON_SHOWN)}"
    if recognition.value:
        line += f" #{recognition.value}"
    if recognition.private:
        line += " _(private)_"
    return line


def _redeemed(redemption: Redemption, item_name: str | None, slack_of: SlackOf) -> str:
    what = fit(escape(item_name), REASON_SHOWN) if item_name else "a reward"
    line = f"you redeemed {what} for {redemption.points} points"
    by = slack_of(redemption.decided_by)
    by_whom = f" by <@{by}>" if by else ""
    state = redemption.state
    if state == RedemptionState.REQUESTED:
        return line + " — waiting for approval"
    if state == RedemptionState.APPROVED:
        return line + (f" — approved{by_whom}" if redemption.needs_approval else "")
    if state == RedemptionState.REJECTED:
        why = (
            f": {fit(escape(redemption.decision_reason), REASON_SHOWN)}" if redemption.decision_reason else ""
        )
        return line + f" — rejected{by_whom}{why}"
    if state == RedemptionState.FULFILLED:
        return line + " — delivered"
    return line + f" — {state.value}"


def _name(slack_id: str | None) -> str:
    return f"<@{slack_id}>" if slack_id else "a colleague"


def _names(slack_ids: list[str | None]) -> str:
    names = [_name(s) for s in slack_ids]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
