"""The rules a recognition must pass before any point moves."""

from __future__ import annotations

from rewards import errors
from rewards.model import Employee
from rewards.policy import RecognitionPolicy


def check_points(points: object, policy: RecognitionPolicy) -> int:
    """Points are whole numbers from 1 to the policy's maximum."""
    if isinstance(points, bool) or not isinstance(points, int):
        raise errors.InvalidPoints(
            f"Points must be a whole number from 1 to {policy.max_points}.", points=str(points)
        )
    if points < 1 or points > policy.max_points:
        raise errors.InvalidPoints(
            f"Points must be a whole number from 1 to {policy.max_points}; got {points}.",
            points=points,
        )
    return points


def check_reason(reason: str | None, policy: RecognitionPolicy) -> str:
    """A reason says what the kudos is for, between the policy's shortest and longest."""
    cleaned = (reason or "").strip()
    if len(cleaned) < policy.min_reason_length:
        raise errors.ReasonRequired(
            f"Say what the kudos is for (at least {policy.min_reason_length} characters)."
        )
    return check_length(cleaned, policy.max_reason_length, "The reason")


def check_length(text: str | None, limit: int, what: str) -> str:
    """Refuse a text a person typed that is longer than `limit` characters, naming the limit."""
    cleaned = text or ""
    if len(cleaned) > limit:
        raise errors.TextTooLong(
            f"{what} is {len(cleaned):,} characters long; the most is {limit:,}.",
            limit=limit,
            length=len(cleaned),
        )
    return cleaned


def check_value(value: str | None, policy: RecognitionPolicy) -> str | None:
    cleaned = policy.normalise_value(value)
    if cleaned is not None and cleaned not in policy.values:
        known = ", ".join(f"#{v}" for v in policy.values)
        raise errors.UnknownValue(f"#{cleaned} is not one of our values: {known}.", value=cleaned)
    return cleaned


def check_participants(giver: Employee, recipients: list[Employee], policy: RecognitionPolicy) -> None:
    if not recipients:
        raise errors.NoRecipients("Name at least one person to recognise.")
    if not giver.is_active:
        raise errors.InactiveEmployee("You are not an active employee, so you cannot give kudos.")
    for recipient in recipients:
        if recipient.id == giver.id:
            raise errors.SelfRecognition("You cannot give kudos to yourself.")
        if recipient.is_bot:
            raise errors.InactiveEmployee("Bots cannot receive kudos.", employee_id=recipient.id)
        if recipient.is_guest and not policy.allow_guests:
            raise errors.InactiveEmployee("Guests cannot receive kudos.", employee_id=recipient.id)
        if not recipient.is_active:
            raise errors.InactiveEmployee(
                "That person is no longer active and cannot receive kudos.",
                employee_id=recipient.id,
            )
    if len({r.id for r in recipients}) != len(recipients):
        raise errors.NoRecipients("Each person may be named only once.")
