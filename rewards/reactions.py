"""Reaction kudos: the rules for points given with an emoji, and the log they are kept in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from rewards import errors
from rewards.model import Employee
from rewards.policy import RecognitionPolicy


@dataclass
class ReactionKudos:
    """One emoji reaction that gave points: who reacted to whose message, and whether undone."""

    id: int
    giver_id: str
    recipient_id: str
    message_ref: str  # e.g. "C123:1700000000.000100:tada"; no message text
    recognition_id: int
    points: int
    created_at: datetime
    reversed_at: datetime | None = None


class ReactionLog(Protocol):
    def add(self, reaction: ReactionKudos) -> ReactionKudos: ...
    def active(self, giver_id: str, message_ref: str) -> ReactionKudos | None: ...
    def mark_reversed(self, reaction_id: int, at: datetime) -> None: ...
    def points_given_since(self, giver_id: str, since: datetime) -> int:
        """Points the giver gave by reaction since `since`, reversed ones excluded."""
        ...


def check_reaction(giver: Employee, author: Employee, policy: RecognitionPolicy) -> None:
    """A reaction pays only a real, active colleague's message, never your own."""
    if author.id == giver.id:
        raise errors.SelfRecognition("Reacting to your own message gives no kudos.")
    if author.is_bot:
        raise errors.InactiveEmployee("Bots cannot receive kudos.")
    if author.is_guest and not policy.allow_guests:
        raise errors.InactiveEmployee("Guests cannot receive kudos.")
    if not giver.is_active or not author.is_active:
        raise errors.InactiveEmployee("Only active employees give and receive kudos.")


def check_daily_cap(given_today: int, points: int, policy: RecognitionPolicy) -> None:
    if given_today + points > policy.reaction_daily_cap:
        raise errors.DailyCapExceeded(
            f"Reactions give at most {policy.reaction_daily_cap} points a day; that is used up."
        )


def may_reverse(reaction: ReactionKudos, now: datetime, window: timedelta) -> bool:
    """A removed reaction is undone only soon after it was added."""
    return reaction.reversed_at is None and now - reaction.created_at <= window
