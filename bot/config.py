"""Settings of the Slack adapter, parsed from the PLAUDIT_* mapping the composition root hands over."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta


class BotConfigError(ValueError):
    """A PLAUDIT_* setting of the Slack adapter is malformed; the message names it."""


@dataclass(frozen=True)
class BotConfig:
    command: str = "/kudos"
    reaction_emoji: str = "clap"
    reaction_undo_minutes: int = 10
    celebration_channel: str | None = None
    kudos_channel: str | None = None  # where every public kudos is posted (the kudos feed)
    slack_approvers: tuple[str, ...] = ()  # Slack user ids who approve when there is no manager
    answer_budget_seconds: float = 2.0  # a slash-command read answers in the ack within this, else later
    read_workers: int = 4  # slash-command reads at once; one more is told "busy, try again"

    @property
    def reaction_undo_window(self) -> timedelta:
        return timedelta(minutes=self.reaction_undo_minutes)

    @classmethod
    def from_mapping(cls, extra: Mapping[str, str]) -> BotConfig:
        minutes = extra.get("PLAUDIT_REACTION_UNDO_MINUTES", "10")
        try:
            undo = int(minutes)
        except ValueError:
            raise BotConfigError(
                f"PLAUDIT_REACTION_UNDO_MINUTES must be a whole number, not {minutes!r}"
            ) from None
        return cls(
            answer_budget_seconds=_budget(extra),
            read_workers=_workers(extra),
            command=extra.get("PLAUDIT_SLACK_COMMAND", "/kudos"),
            reaction_emoji=extra.get("PLAUDIT_REACTION_EMOJI", "clap").strip(":") or "clap",
            reaction_undo_minutes=undo,
            celebration_channel=extra.get("PLAUDIT_CELEBRATION_CHANNEL") or None,
            kudos_channel=(
                extra.get("PLAUDIT_KUDOS_CHANNEL", "").strip()
                or extra.get("PLAUDIT_CELEBRATION_CHANNEL", "").strip()
                or None
            ),
            slack_approvers=tuple(
                u.strip() for u in extra.get("PLAUDIT_SLACK_APPROVERS", "").split(",") if u.strip()
            ),
        )


MAX_ANSWER_BUDGET = 2.5  # Slack waits 3 s for an acknowledgement; leave room for the network


def _budget(extra: Mapping[str, str]) -> float:
    raw = extra.get("PLAUDIT_SLACK_ANSWER_BUDGET", "2")
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds <= MAX_ANSWER_BUDGET:  # also refuses nan and inf
        raise BotConfigError(
            f"PLAUDIT_SLACK_ANSWER_BUDGET must be seconds above 0 and at most {MAX_ANSWER_BUDGET}"
            f" (Slack waits 3), not {raw!r}"
        )
    return seconds


def _workers(extra: Mapping[str, str]) -> int:
    raw = extra.get("PLAUDIT_SLACK_READ_WORKERS", "4")
    digits = raw.strip()
    # ASCII digits only: "²".isdigit() is True and int("٣") is 3; neither is a setting we mean
    if not (digits.isascii() and digits.isdecimal()) or not 1 <= int(digits) <= 64:
        raise BotConfigError(f"PLAUDIT_SLACK_READ_WORKERS must be a whole number from 1 to 64, not {raw!r}")
    return int(digits)
