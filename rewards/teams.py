"""Teams (SCIM Groups): the record, the queries over them, their rules and their refusals."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from rewards.errors import DomainError, NotFound

MAX_DISPLAY_NAME = 200
MAX_EXTERNAL_ID = 200
MAX_MEMBERS = 100_000
MAX_PAGE = 1000


class Keep(enum.Enum):
    """Marks a field a change leaves as it is (None would clear it)."""

    KEEP = "keep"


KEEP = Keep.KEEP


@dataclass(frozen=True)
class Team:
    """A named group of employees, usually pushed by an identity provider."""

    id: str
    display_name: str
    external_id: str | None
    member_ids: tuple[str, ...]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class TeamRef:
    """A team as a member's record names it: its id and display name."""

    id: str
    display_name: str


@dataclass(frozen=True)
class MemberOp:
    """One change to a team's members: add these, remove these, or replace all with these."""

    action: Literal["add", "remove", "replace"]
    employee_ids: tuple[str, ...]


@dataclass(frozen=True)
class TextMatch:
    """A case-insensitive comparison of a text: equal to, containing, or starting with `value`."""

    op: Literal["eq", "co", "sw"]
    value: str


@dataclass(frozen=True)
class TeamQuery:
    """Which teams a listing wants (every condition given must hold) and which page of them.

    `start_index` counts from 1, as SCIM does; `count` 0 asks only for the total.
    """

    display_name: TextMatch | None = None
    external_id: str | None = None
    member_id: str | None = None
    start_index: int = 1
    count: int = 100


@dataclass(frozen=True)
class TeamPage:
    """One page of a listing and how many teams the whole listing holds."""

    teams: list[Team]
    total: int


@dataclass(frozen=True)
class PersonState:
    """Whether a person locked for a change may still take part: neither erased nor deprovisioned."""

    erased: bool
    deprovisioned: bool


class TeamNotFound(NotFound):
    code = "team_not_found"


class UnknownMember(DomainError):
    code = "unknown_member"
    status = 400


class DuplicateTeam(DomainError):
    code = "duplicate_team"
    status = 409


class InvalidTeam(DomainError):
    code = "invalid_team"
    status = 400


def checked_name(display_name: object) -> str:
    """The display name a team may have: a non-blank text of at most MAX_DISPLAY_NAME characters."""
    if not isinstance(display_name, str) or not display_name.strip():
        raise InvalidTeam("A team needs a display name.", field="displayName")
    if len(display_name) > MAX_DISPLAY_NAME:
        raise InvalidTeam(
            f"A team's display name has at most {MAX_DISPLAY_NAME} characters.", field="displayName"
        )
    return display_name


def checked_external_id(external_id: object) -> str | None:
    """An external id a team may have: none, or a non-blank text of at most MAX_EXTERNAL_ID characters."""
    if external_id is None:
        return None
    if not isinstance(external_id, str) or not external_id.strip():
        raise InvalidTeam("A team's external id, when given, must not be blank.", field="externalId")
    if len(external_id) > MAX_EXTERNAL_ID:
        raise InvalidTeam(
            f"A team's external id has at most {MAX_EXTERNAL_ID} characters.", field="externalId"
        )
    return external_id


def checked_query(query: TeamQuery) -> TeamQuery:
    """The query, refused by field when its page is out of bounds."""
    if query.start_index < 1:
        raise InvalidTeam("startIndex counts from 1.", field="startIndex")
    if not 0 <= query.count <= MAX_PAGE:
        raise InvalidTeam(f"count must be between 0 and {MAX_PAGE}.", field="count")
    return query


def members_after(current: Iterable[str], ops: Sequence[MemberOp]) -> tuple[str, ...]:
    """The members once these changes are applied in order (first-seen order kept, no repeats)."""
    members = dict.fromkeys(current)
    for op in ops:
        if op.action == "replace":
            members = dict.fromkeys(op.employee_ids)
        elif op.action == "add":
            members.update(dict.fromkeys(op.employee_ids))
        else:
            for employee_id in op.employee_ids:
                members.pop(employee_id, None)
    if len(members) > MAX_MEMBERS:
        raise InvalidTeam(f"A team has at most {MAX_MEMBERS:,} members.", field="members")
    return tuple(members)
