"""Organisation settings that shape the rules: recognition limits, values, approvals, allowances."""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_VALUES = ("teamwork", "ownership", "customer", "innovation", "integrity", "learning")

# Longest texts a person may type, chosen so every message that shows them fits Slack's blocks
# (3,000 characters a section) with room for names, points and links.
MAX_REASON_LENGTH = 1000  # a kudos reason
MAX_DECISION_REASON_LENGTH = 500  # why a redemption was approved, rejected or cancelled
MAX_ITEM_NAME_LENGTH = 200  # a reward's name
MAX_ITEM_DESCRIPTION_LENGTH = 2000  # a reward's description


@dataclass(frozen=True)
class RecognitionPolicy:
    max_points: int = 100  # per recipient, per recognition
    default_points: int = 10
    min_reason_length: int = 3
    max_reason_length: int = MAX_REASON_LENGTH
    values: tuple[str, ...] = DEFAULT_VALUES
    daily_cap_per_recipient: int = 100  # points one giver may send one recipient per local day
    reaction_points: int = 1
    reaction_daily_cap: int = 10
    allow_guests: bool = False
    timezone: str = "UTC"  # the organisation's default IANA zone

    def normalise_value(self, value: str | None) -> str | None:
        if value is None:
            return None
        cleaned = value.strip().lstrip("#").lower()
        return cleaned or None


@dataclass(frozen=True)
class RedemptionPolicy:
    approval_threshold: int | None = 500  # items costing more than this need approval
    hr_approver_ids: tuple[str, ...] = field(default_factory=tuple)

    def needs_approval(self, requires_flag: bool, points_cost: int) -> bool:
        if requires_flag:
            return True
        return self.approval_threshold is not None and points_cost > self.approval_threshold


@dataclass(frozen=True)
class AllowancePolicy:
    points_per_period: int = 100
    period: str = "monthly"  # weekly | monthly | quarterly
