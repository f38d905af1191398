"""What a webhook carries: only what its subscriber's scopes could read, people named by HR id."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

# The scope that reads an event's data over the API; a topic not named here is not sent.
TOPIC_SCOPES: dict[str, str | None] = {
    "webhook.test": None,
    "recognition.created": "reports:read",
    "recognition.reversed": "reports:read",
    "award.issued": "ledger:read",
    "milestone.awarded": "ledger:read",
    "redemption.requested": "redemptions:read",
    "redemption.approved": "redemptions:read",
    "redemption.rejected": "redemptions:read",
    "redemption.fulfilled": "redemptions:read",
    "redemption.cancelled": "redemptions:read",
    "redemption.expired": "redemptions:read",
    "redemption.reminder": "redemptions:read",
    "redemption.escalated": "redemptions:read",
    "employee.erased": "employees:read",
}
PERSON_KEYS = ("employee_id", "giver_id", "decided_by")
PEOPLE_KEYS = ("employee_ids", "recipient_ids", "approver_ids", "top_recipient_ids")
# Slack places (channels, message timestamps) that no API response shows.
HIDDEN_KEYS = ("context", "channel")


def may_read(topic: str, scopes: Collection[str]) -> bool:
    """Whether a client with these scopes may receive this topic."""
    if topic not in TOPIC_SCOPES:
        return False
    needed = TOPIC_SCOPES[topic]
    return needed is None or needed in scopes


def people_in(data: Mapping[str, Any]) -> set[str]:
    """The internal employee ids an event's data names."""
    found = {data[k] for k in PERSON_KEYS if isinstance(data.get(k), str)}
    for key in PEOPLE_KEYS:
        found |= {v for v in data.get(key) or () if isinstance(v, str)}
    return found


def for_subscriber(
    topic: str, data: Mapping[str, Any], scopes: Collection[str], external_ids: Mapping[str, str | None]
) -> dict[str, Any] | None:
    """The data a subscriber receives, or None when its scopes cannot read this topic.

    Employees are named by HR id (null when they have none); a private recognition's reason is
    never sent, as no API response shows it."""
    if not may_read(topic, scopes):
        return None
    out = {k: v for k, v in data.items() if k not in HIDDEN_KEYS}
    own_hr_id = data.get("external_id") if topic == "employee.erased" else None
    for key in PERSON_KEYS:
        if key in out:
            out[key] = own_hr_id or _hr_id(out[key], external_ids)
    for key in PEOPLE_KEYS:
        if key in out:
            out[key] = [_hr_id(v, external_ids) for v in _listed(out[key])]
    if out.get("private"):
        out["reason"] = None
    return out


def _hr_id(value: Any, external_ids: Mapping[str, str | None]) -> str | None:
    # Not an employee id (an API client, "scheduler"): the actor's own name, which is no person.
    if isinstance(value, str) and value in external_ids:
        return external_ids[value]
    return value if isinstance(value, str) and ":" in value else None


def _listed(value: Any) -> Iterable[Any]:
    return value if isinstance(value, list) else ()
