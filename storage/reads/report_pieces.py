"""The recognition report's sums over signed pieces of time: tallies for whole local days, months and
years, and the recognitions themselves (through the created_at index) for partial days. A piece of
sign -1 is subtracted: per person the sums are still exact, so "at least one" is a net count > 0."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Select,
    String,
    Subquery,
    exists,
    func,
    literal,
    select,
    union_all,
)

from rewards.tallies import GIVEN, RECEIVED
from rewards.time_ranges import Piece
from storage.schema.core import EmployeeRow, RecognitionRecipientRow, RecognitionRow
from storage.schema.reactions import ReactionKudosRow
from storage.schema.tallies import RecognitionTallyRow

T = RecognitionTallyRow.__table__
R = RecognitionRow.__table__
RR = RecognitionRecipientRow.__table__
E = EmployeeRow.__table__
RK = ReactionKudosRow.__table__
Sums = list[tuple[str | None, int, int, str | None]]  # key, recognitions, points, the key shown


def counted() -> ColumnElement[bool]:
    """A recognition counts unless it is a reaction kudos taken back (as the tallies count)."""
    return ~exists().where(RK.c.recognition_id == R.c.id, RK.c.reversed_at.is_not(None))


def role_of(group_by: str) -> str:
    """The side a group is counted from: the giver's for value and giver, each recipient's otherwise."""
    return GIVEN if group_by in ("value", "giver") else RECEIVED


def group_sums(
    conn: Connection, pieces: Sequence[Piece], group_by: str, *, hr_ids: bool = False
) -> tuple[Sums, int | None]:
    """Recognitions and points per group over the pieces (`department`: the recipient's current
    one), and how many people of the group's side (givers, or recipients) have at least one (None by
    value: count them with `people_counted`). By giver or recipient the rows come in the report's
    order (most points first, then by employee id), and with `hr_ids` each is labelled with the
    person's HR id in the same statement."""
    source = _rows(role_of(group_by), pieces, every_value=group_by == "value")
    if group_by == "value":  # sums add up per value without a row per person; givers are counted apart
        n, p = func.sum(source.c.recognitions), func.sum(source.c.points)
        by_value = select(source.c.value, n, p).group_by(source.c.value)
        return _by_value([(k, int(n), int(p)) for k, n, p in conn.execute(by_value)]), None
    if group_by == "department":
        return _by_department(conn, source)
    found = _by_person(conn, source, hr_ids)
    return found, len(found)


def _by_person(conn: Connection, source: Subquery, hr_ids: bool) -> Sums:
    """A row per person with at least one (the rows are every value's, so a person is one group); with
    `hr_ids` labelled by HR id in the same statement."""
    n, p = func.sum(source.c.recognitions), func.sum(source.c.points)
    if not hr_ids:
        who = source.c.employee_id
        query = select(who, n.label("n"), p.label("p"), who.label("label")).group_by(who).having(n > 0)
    elif _joins_first(conn):
        who = source.c.employee_id
        query = select(who, n.label("n"), p.label("p"), E.c.external_id).outerjoin(E, E.c.id == who)
        query = query.group_by(who, E.c.external_id).having(n > 0)
    else:
        summed = select(source.c.employee_id, n.label("n"), p.label("p")).group_by(source.c.employee_id)
        people = summed.having(n > 0).subquery()
        who = people.c.employee_id
        query = select(who, people.c.n, people.c.p, E.c.external_id).outerjoin(E, E.c.id == who)
    points = query.selected_columns[2]
    # Sorted by the database (a row per person: thousands), as `reports._ordered` sorts: by employee
    # id in code point order (PostgreSQL: the "C" collation, whatever the database's own).
    order = (points.desc(), who.is_(None), who.collate("C") if conn.dialect.name == "postgresql" else who)
    rows = conn.execute(query.order_by(*order)).all()  # all(): one fetch
    return [(k, int(n), int(p), label) for k, n, p, label in rows]


def _by_department(conn: Connection, source: Subquery) -> tuple[Sums, int]:
    """Per current department, over the people with at least one; and how many people those are."""
    n, p = func.sum(source.c.recognitions), func.sum(source.c.points)
    if _joins_first(conn):
        joined = select(E.c.department, n.label("n"), p.label("p"))
        joined = joined.join_from(source, E, E.c.id == source.c.employee_id)
        people = joined.group_by(source.c.employee_id, E.c.department).having(n > 0).subquery()
    else:
        summed = select(source.c.employee_id, n.label("n"), p.label("p")).group_by(source.c.employee_id)
        row = summed.having(n > 0).subquery()
        people = (
            select(E.c.department, row.c.n, row.c.p).join_from(row, E, E.c.id == row.c.employee_id).subquery()
        )
    query = select(people.c.department, func.sum(people.c.n), func.sum(people.c.p), func.count())
    found = conn.execute(query.group_by(people.c.department)).all()
    sums = [(k, int(n), int(p), int(c)) for k, n, p, c in found]
    return [(k, n, p, k) for k, n, p, _ in sums], sum(c for *_, c in sums)


def _joins_first(conn: Connection) -> bool:
    """Whether a report by person joins employees to the rows before summing them. On PostgreSQL:
    the planner cannot tell how many people the sums leave (it guessed a few dozen, and then looked
    each of ~10,000 up by index), but it knows the rows read, and hashes employees once. SQLite
    looks each up by key either way, so there after the sums: once per person, not per row."""
    return conn.dialect.name == "postgresql"


def _by_value(found: list[tuple[str, int, int]]) -> Sums:
    """Named values as they are; recognitions without one are every value's ('') minus the named."""
    named = [(k, n, p, k) for k, n, p in found if k != "" and n > 0]
    every_n, every_p = next(((n, p) for k, n, p in found if k == ""), (0, 0))
    none = (None, every_n - sum(n for _, n, _, _ in named), every_p - sum(p for _, _, p, _ in named), None)
    return named + ([none] if none[1] > 0 else [])


def plain_plans(conn: Connection) -> None:
    """PostgreSQL: no parallel workers and no JIT for the rest of this transaction. A report reads
    tens of thousands of rows at most: starting workers (planned from 100k recognitions on) or
    compiling the plan (past jit_above_cost, which a long range's many pieces near) costs more
    than reading them, the more so on a busy server."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL jit = off")


def people_counted(pieces: Sequence[Piece], role: str) -> Select:
    """How many people gave (or received) at least one recognition over the pieces."""
    source = _rows(role, pieces, every_value=False)
    people = select(source.c.employee_id).group_by(source.c.employee_id)
    return select(func.count()).select_from(people.having(func.sum(source.c.recognitions) > 0).subquery())


def _columns(employee, value, recognitions, points) -> list[ColumnElement]:
    """The columns every SELECT of a union names alike."""
    return [
        employee.label("employee_id"),
        value.label("value"),
        recognitions.label("recognitions"),
        points.label("points"),
    ]


def _rows(role: str, pieces: Sequence[Piece], *, every_value: bool) -> Subquery:
    """(employee_id, value, recognitions, points) rows of `role` whose sums over the signed pieces are
    the range's: one SELECT of tally rows per grain and sign, one of recognitions per partial day."""
    starts: dict[tuple[str, int], list[date]] = defaultdict(list)
    for piece in pieces:
        if piece.whole:
            starts[piece.grain, piece.sign].append(piece.starts)
    parts: list[Select] = []
    for (grain, sign), dates in starts.items():
        n, p = (T.c.recognitions, T.c.points) if sign > 0 else (-T.c.recognitions, -T.c.points)
        query = select(*_columns(T.c.employee_id, T.c.value, n, p)).where(
            T.c.grain == grain, T.c.starts.in_(dates), T.c.role == role
        )
        parts.append(query if every_value else query.where(T.c.value == ""))
    for piece in pieces:
        if not piece.whole:
            parts += _recognitions_of(role, piece, every_value)
    return union_all(*parts).subquery()


def _recognitions_of(role: str, piece: Piece, every_value: bool) -> list[Select]:
    """The rows the tallies would hold (signed as the piece) for the recognitions of one partial day."""
    window = (R.c.created_at >= piece.start, R.c.created_at < piece.end, counted())
    one, every = literal(piece.sign, Integer), literal("", String)
    if role == RECEIVED:
        received = select(*_columns(RR.c.employee_id, every, one, R.c.points_each * piece.sign)).join_from(
            R, RR, RR.c.recognition_id == R.c.id
        )
        return [received.where(*window)]
    recipients = select(func.count()).where(RR.c.recognition_id == R.c.id).scalar_subquery()
    points = R.c.points_each * recipients * piece.sign
    given = [select(*_columns(R.c.giver_id, every, one, points)).where(*window)]
    if every_value:
        given.append(
            select(*_columns(R.c.giver_id, R.c.value, one, points)).where(*window, R.c.value.is_not(None))
        )
    return given
