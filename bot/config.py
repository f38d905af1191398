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
