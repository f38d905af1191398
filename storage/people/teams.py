"""Teams and their members: the repository behind `uow.teams`."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import ColumnElement, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from rewards.ports import UniqueConflict
from rewards.teams import PersonState, Team, TeamPage, TeamQuery, TeamRef, TextMatch
from storage.database.in_lists import InList
from storage.database.unit_session import UnitSession
from storage.schema.core import EmployeeRow
from storage.schema.teams import TeamMemberRow, TeamRow

T = TeamRow.__table__
M = TeamMemberRow.__table__
E = EmployeeRow.__table__
CHUNK = 5000  # ids per IN list: far below either database's limit on parameters
# Every SCIM User answer names the person's teams: built once, compiled once per list length.
TEAMS_OF = InList(
    "ids",
    lambda ids: (
        select(M.c.employee_id, T.c.id, T.c.display_name)
        .join(T, T.c.id == M.c.team_id)
        .where(M.c.employee_id.in_(ids))
        .order_by(M.c.employee_id, T.c.display_name, T.c.id)
    ),
    M.c.employee_id.type,
)


class SqlTeamRepository:
    """Teams over the unit of work's connection; members are rows of `team_members`."""

    def __init__(self, session: UnitSession) -> None:
        self.session = session

    def add(self, team: Team) -> None:
        """Insert the team and its members; UniqueConflict when its external id is taken."""
        conn = self.session.connection()
        try:
            conn.execute(insert(T).values(**_values(team), id=team.id))
        except IntegrityError as exc:  # a concurrent create took the same external id
            raise UniqueConflict(type(exc.orig).__name__) from None
        self._insert_members(team.id, team.member_ids)

    def get(self, team_id: str, *, for_update: bool = False) -> Team | None:
        """The team (locked until the transaction ends, when asked) with its members."""
        query = select(T).where(T.c.id == team_id)
        row = self.session.connection().execute(query.with_for_update() if for_update else query).first()
        return None if row is None else self._with_members([row])[0]

    def lock_people(self, employee_ids: Sequence[str], *, exclusive: bool = False) -> dict[str, PersonState]:
        """Lock these employees' rows until the transaction ends (PostgreSQL: FOR SHARE, so an
        erasure or deprovisioning waits or is seen; FOR UPDATE when `exclusive`; SQLite's write
        lock already serialises) and return each one's state, read after the lock."""
        conn = self.session.connection()
        states: dict[str, PersonState] = {}
        wanted = sorted(set(employee_ids))
        for start in range(0, len(wanted), CHUNK):
            query = (
                select(E.c.id, E.c.erased_at, E.c.deprovisioned_at)
                .where(E.c.id.in_(wanted[start : start + CHUNK]))
                .order_by(E.c.id)  # one order for every locker: no deadlock between two lists
                .with_for_update(read=not exclusive)
            )
            for row in conn.execute(query):
                states[row.id] = PersonState(row.erased_at is not None, row.deprovisioned_at is not None)
        return states

    def get_by_external_id(self, external_id: str) -> Team | None:
        row = self.session.connection().execute(select(T).where(T.c.external_id == external_id)).first()
        return None if row is None else self._with_members([row])[0]

    def save(self, team: Team) -> None:
        """Write the team's fields and bring its member rows to `team.member_ids`."""
        conn = self.session.connection()
        try:
            changed = conn.execute(update(T).where(T.c.id == team.id).values(**_values(team))).rowcount
        except IntegrityError as exc:
            raise UniqueConflict(type(exc.orig).__name__) from None
        if changed != 1:
            raise LookupError(f"team {team.id} does not exist")
        current = set(conn.scalars(select(M.c.employee_id).where(M.c.team_id == team.id)))
        wanted = set(team.member_ids)
        gone = sorted(current - wanted)
        for start in range(0, len(gone), CHUNK):
            conn.execute(
                delete(M).where(M.c.team_id == team.id, M.c.employee_id.in_(gone[start : start + CHUNK]))
            )
        self._insert_members(team.id, sorted(wanted - current))

    def delete(self, team_id: str) -> bool:
        """Delete the team and its memberships; False when there was no such team."""
        conn = self.session.connection()
        conn.execute(delete(M).where(M.c.team_id == team_id))
        return bool(conn.execute(delete(T).where(T.c.id == team_id)).rowcount)

    def find(self, query: TeamQuery) -> TeamPage:
        """The teams matching every condition of the query, oldest first, and how many match."""
        conn = self.session.connection()
        conditions = _conditions(query)
        total = conn.execute(select(func.count()).select_from(T).where(*conditions)).scalar_one()
        if query.count == 0:
            return TeamPage([], total)
        rows = conn.execute(
            select(T)
            .where(*conditions)
            .order_by(T.c.created_at, T.c.id)
            .offset(query.start_index - 1)
            .limit(query.count)
        ).all()
        return TeamPage(self._with_members(rows), total)

    def teams_of(self, employee_ids: Collection[str]) -> dict[str, list[TeamRef]]:
        """Each of these employees' teams (absent: none), by name."""
        wanted = sorted(set(employee_ids))
        found: dict[str, list[TeamRef]] = {}
        conn = self.session.connection()
        for start in range(0, len(wanted), CHUNK):
            for employee_id, team_id, name in TEAMS_OF.rows(conn, wanted[start : start + CHUNK]):
                found.setdefault(employee_id, []).append(TeamRef(team_id, name))
        return found

    def _insert_members(self, team_id: str, employee_ids: Collection[str]) -> None:
        rows = [{"team_id": team_id, "employee_id": e} for e in employee_ids]
        for start in range(0, len(rows), CHUNK):
            self.session.connection().execute(insert(M), rows[start : start + CHUNK])

    def _with_members(self, rows: Sequence[Any]) -> list[Team]:
        members: dict[str, list[str]] = {row.id: [] for row in rows}
        ids = list(members)
        conn = self.session.connection()
        for start in range(0, len(ids), CHUNK):
            pairs = conn.execute(
                select(M.c.team_id, M.c.employee_id)
                .where(M.c.team_id.in_(ids[start : start + CHUNK]))
                .order_by(M.c.team_id, M.c.employee_id)
            )
            for team_id, employee_id in pairs:
                members[team_id].append(employee_id)
        return [
            Team(
                id=row.id,
                display_name=row.display_name,
                external_id=row.external_id,
                member_ids=tuple(members[row.id]),
                created_at=row.created_at,
                updated_at=row.updated_at,
            )
            for row in rows
        ]


def _values(team: Team) -> dict[str, Any]:
    return {
        "display_name": team.display_name,
        "display_name_folded": team.display_name.casefold(),
        "external_id": team.external_id,
        "created_at": team.created_at,
        "updated_at": team.updated_at,
    }


def _conditions(query: TeamQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if query.display_name is not None:
        conditions.append(_text_match(query.display_name))
    if query.external_id is not None:
        conditions.append(T.c.external_id == query.external_id)
    if query.member_id is not None:
        member_of = select(M.c.team_id).where(M.c.employee_id == query.member_id)
        conditions.append(T.c.id.in_(member_of))
    return conditions


def _text_match(match: TextMatch) -> ColumnElement[bool]:
    """SCIM's displayName is not case-exact: compare case-folded, with LIKE's wildcards escaped."""
    name, value = T.c.display_name_folded, match.value.casefold()
    if match.op == "eq":
        return name == value
    if match.op == "sw":
        return name.startswith(value, autoescape=True)
    return name.contains(value, autoescape=True)
