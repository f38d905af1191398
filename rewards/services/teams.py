"""Teams (SCIM Groups): create, replace, change members, delete, read and list them.

Members are existing employees (an erased person is not one); a change naming anyone else is
refused whole, naming the id. A team's external id belongs to one team. Reads may be handed a
read-only unit of work (`store.reader()`).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence

from rewards.clock import Clock
from rewards.ports import UniqueConflict, UnitOfWork
from rewards.teams import (
    KEEP,
    DuplicateTeam,
    Keep,
    MemberOp,
    Team,
    TeamNotFound,
    TeamPage,
    TeamQuery,
    TeamRef,
    UnknownMember,
    checked_external_id,
    checked_name,
    checked_query,
    members_after,
)


def create_team(
    uow: UnitOfWork,
    display_name: str,
    clock: Clock,
    *,
    external_id: str | None = None,
    member_ids: Sequence[str] = (),
) -> Team:
    """A new team with these members; DuplicateTeam when another team has the external id."""
    name, external = checked_name(display_name), checked_external_id(external_id)
    members = members_after((), [MemberOp("replace", tuple(member_ids))])
    with uow:
        _check_external_id_free(uow, external, None)
        _check_members(uow, members)
        now = clock.now()
        team = Team(str(uuid.uuid4()), name, external, members, now, now)
        try:
            uow.teams.add(team)
        except UniqueConflict:  # the same external id created concurrently
            raise _duplicate(external) from None
        uow.commit()
        return team


def replace_team(
    uow: UnitOfWork,
    team_id: str,
    display_name: str,
    clock: Clock,
    *,
    external_id: str | None = None,
    member_ids: Sequence[str] = (),
) -> Team:
    """Replace every field of the team (SCIM PUT): its name, external id and members."""
    name, external = checked_name(display_name), checked_external_id(external_id)
    members = members_after((), [MemberOp("replace", tuple(member_ids))])
    with uow:
        current = _locked(uow, team_id)
        _check_external_id_free(uow, external, team_id)
        _check_members(uow, set(members) - set(current.member_ids))
        team = Team(team_id, name, external, members, current.created_at, clock.now())
        _save(uow, team)
        uow.commit()
        return team


def patch_members(
    uow: UnitOfWork,
    team_id: str,
    ops: Sequence[MemberOp],
    clock: Clock,
    *,
    display_name: str | None = None,
    external_id: str | None | Keep = KEEP,
) -> Team:
    """Apply member changes in order (SCIM PATCH), and a new name or external id, all or nothing.

    The team is locked while it changes, so concurrent changes each see the others' result.
    """
    name = None if display_name is None else checked_name(display_name)
    external = external_id if isinstance(external_id, Keep) else checked_external_id(external_id)
    with uow:
        current = _locked(uow, team_id)
        members = members_after(current.member_ids, ops)
        if not isinstance(external, Keep):
            _check_external_id_free(uow, external, team_id)
        _check_members(uow, set(members) - set(current.member_ids))
        team = Team(
            team_id,
            current.display_name if name is None else name,
            current.external_id if isinstance(external, Keep) else external,
            members,
            current.created_at,
            clock.now(),
        )
        _save(uow, team)
        uow.commit()
        return team


def delete_team(uow: UnitOfWork, team_id: str) -> None:
    """Delete the team and its memberships (the people stay)."""
    with uow:
        if not uow.teams.delete(team_id):
            raise TeamNotFound("No team has this id.", team_id=team_id)
        uow.commit()


def get_team(uow: UnitOfWork, team_id: str) -> Team:
    """The team with this id, with its members."""
    with uow:
        team = uow.teams.get(team_id)
    if team is None:
        raise TeamNotFound("No team has this id.", team_id=team_id)
    return team


def list_teams(uow: UnitOfWork, query: TeamQuery) -> TeamPage:
    """One page of the teams matching the query, oldest first, and how many match in all."""
    checked_query(query)
    with uow:
        return uow.teams.find(query)


def teams_of(uow: UnitOfWork, employee_ids: Collection[str]) -> dict[str, list[TeamRef]]:
    """Each of these employees' teams (absent: none), for a person's read-only `groups`."""
    with uow:
        return uow.teams.teams_of(employee_ids)


def _locked(uow: UnitOfWork, team_id: str) -> Team:
    team = uow.teams.get(team_id, for_update=True)
    if team is None:
        raise TeamNotFound("No team has this id.", team_id=team_id)
    return team


def _save(uow: UnitOfWork, team: Team) -> None:
    try:
        uow.teams.save(team)
    except UniqueConflict:  # another team took the external id meanwhile
        raise _duplicate(team.external_id) from None


def _check_external_id_free(uow: UnitOfWork, external_id: str | None, team_id: str | None) -> None:
    if external_id is None:
        return
    holder = uow.teams.get_by_external_id(external_id)
    if holder is not None and holder.id != team_id:
        raise _duplicate(external_id)


def _duplicate(external_id: str | None) -> DuplicateTeam:
    return DuplicateTeam(
        "Another team already has this external id.", field="externalId", external_id=external_id
    )


def _check_members(uow: UnitOfWork, employee_ids: Collection[str]) -> None:
    """Refuse, naming the first in order, any id that is not an existing employee who is neither
    erased nor deprovisioned; the rows stay locked so an erasure cannot slip in before commit."""
    if not employee_ids:
        return
    wanted = sorted(set(employee_ids))
    for employee_id, addable in _addable(uow, wanted).items():
        if not addable:
            raise UnknownMember(
                f"No employee has the id {employee_id[:40]!r}, so it cannot be a team member.",
                field="members",
                employee_id=employee_id,
            )


def _addable(uow: UnitOfWork, wanted: list[str]) -> dict[str, bool]:
    """Each wanted id in order: whether it names a person who may join a team."""
    states = uow.teams.lock_people(wanted)
    return {i: i in states and not (states[i].erased or states[i].deprovisioned) for i in wanted}
