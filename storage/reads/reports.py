"""Read-only recognition queries for HR: the recognition list and the grouped report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Connection, Select, distinct, func, select

from rewards.model import Recognition
from rewards.tallies import GIVEN, RECEIVED
from rewards.time_ranges import signed_tile
from storage.reads import listings, report_pieces
from storage.recognition import tallies
from storage.schema.core import EmployeeRow, RecognitionRecipientRow, RecognitionRow
from storage.store import Store

GROUPS = ("department", "value", "giver", "recipient")


def recognitions_page(
    store: Store,
    *,
    after_id: int | None,
    since: datetime | None,
    value: str | None,
    department: str | None,
    limit: int,
) -> list[Recognition]:
    """Recognitions in id order; `department` matches any recipient's department. Each filter
    walks an index in id order (`listings.recognition_ids`)."""
    with store.reader() as uow:
        ids = listings.recognition_ids(
            uow.session, after_id=after_id, since=since, value=value, department=department, limit=limit + 1
        )
        return listings.recognitions_by_id(uow.session, ids)  # one transaction: every id is found


class ReportRow(NamedTuple):  # a tuple: a report by person has a row per person, made fast
    key: str | None
    recognitions: int
    points: int


@dataclass(frozen=True)
class Participation:
    active_employees: int
    gave: int
    received: int


Report = tuple[list[ReportRow], Participation]


def recognition_report(
    store: Store, start: datetime, end: datetime, group_by: str, *, timezone: str, hr_ids: bool = False
) -> Report:
    """Recognitions and points in [start, end), grouped, with participation: from the tallies of the
    whole local days, months and years of `timezone` in the range and the recognitions of the
    partial days at its edges, or from the history while the tallies are still being built.

    `department` is the recipient's current department, and its `recognitions` count recognitions
    received: one given to two people of a department counts twice there (as it does by recipient).
    With `hr_ids`, a giver or recipient is shown by HR id (None for none, or an erased person), in
    the order of their employee ids."""
    _check(group_by)
    with store.reader() as uow:
        conn = uow.session.connection()
        report_pieces.plain_plans(conn)
        if not tallies.is_built(conn, timezone):
            return _history_report(conn, start, end, group_by, hr_ids)
        now = store.clock.now()  # what begins later holds nothing yet: the cheap side to subtract
        pieces = {
            GIVEN: signed_tile(start, end, timezone, now=now),
            RECEIVED: signed_tile(start, end, timezone, now=now, quarters=True),  # kept for received only
        }
        if not pieces[GIVEN]:
            return [], Participation(conn.scalar(_active()) or 0, 0, 0)
        role = report_pieces.role_of(group_by)
        sums, counted = report_pieces.group_sums(conn, pieces[role], group_by, hr_ids=hr_ids)
        other = RECEIVED if role == GIVEN else GIVEN
        sides = [other] if counted is not None else [other, role]
        active, others, *ours = conn.execute(
            select(
                _active().scalar_subquery(),
                *(report_pieces.people_counted(pieces[side], side).scalar_subquery() for side in sides),
            )
        ).one()
        counted = int(ours[0]) if counted is None else counted
        gave, received = (counted, int(others)) if role == GIVEN else (int(others), counted)
        by_person = group_by in ("giver", "recipient")  # already in the report's order
        rows = [ReportRow(label, n, p) for _, n, p, label in sums] if by_person else _ordered(sums)
        # each statement sees its own snapshot (PostgreSQL, READ COMMITTED): a rebuild may have
        # cleared the tallies since the check above, so the answer stands only if still built
        if not tallies.is_built(conn, timezone):
            return _history_report(conn, start, end, group_by, hr_ids)
        return rows, Participation(int(active), gave, received)


def _history_report(conn: Connection, start: datetime, end: datetime, group_by: str, hr_ids: bool) -> Report:
    rows, part = _from_history(conn, start, end, group_by)
    return (_by_hr_id(conn, rows) if hr_ids and group_by in ("giver", "recipient") else rows), part


def recognition_report_from_history(store: Store, start: datetime, end: datetime, group_by: str) -> Report:
    """The same report read from the recognitions of the range (the answer until the tallies are built)."""
    _check(group_by)
    with store.reader() as uow:
        return _from_history(uow.session.connection(), start, end, group_by)


def _check(group_by: str) -> None:
    if group_by not in GROUPS:
        raise ValueError(f"group_by must be one of {GROUPS}")


def _from_history(conn: Connection, start: datetime, end: datetime, group_by: str) -> Report:
    window = (RecognitionRow.created_at >= start, RecognitionRow.created_at < end, report_pieces.counted())
    points = func.sum(RecognitionRow.points_each)
    # Per recipient (one row each) for recipient and department; once per recognition otherwise.
    count = (
        func.count() if group_by in ("recipient", "department") else func.count(distinct(RecognitionRow.id))
    )
    key = {
        "value": RecognitionRow.value,
        "giver": RecognitionRow.giver_id,
        "recipient": RecognitionRecipientRow.employee_id,
        "department": EmployeeRow.department,
    }[group_by]
    query = (
        select(key, count, points)
        .select_from(RecognitionRow)
        .join(RecognitionRecipientRow, RecognitionRecipientRow.recognition_id == RecognitionRow.id)
        .where(*window)
        .group_by(key)
    )
    if group_by == "department":
        query = query.join(EmployeeRow, EmployeeRow.id == RecognitionRecipientRow.employee_id)
    sums = [(k, int(n), int(p or 0), k) for k, n, p in conn.execute(query)]
    gave = conn.scalar(select(func.count(distinct(RecognitionRow.giver_id))).where(*window))
    received = conn.scalar(
        select(func.count(distinct(RecognitionRecipientRow.employee_id)))
        .join(RecognitionRow, RecognitionRow.id == RecognitionRecipientRow.recognition_id)
        .where(*window)
    )
    return _ordered(sums), Participation(int(conn.scalar(_active()) or 0), int(gave or 0), int(received or 0))


def _ordered(sums: report_pieces.Sums) -> list[ReportRow]:
    """Most points first, then by key, the group without a key last (alike on every database); each
    row shows its label."""
    ordered = sorted(sums, key=lambda s: (-s[2], s[0] is None, s[0] or ""))
    return [ReportRow(label, n, p) for _, n, p, label in ordered]


def _by_hr_id(conn: Connection, rows: list[ReportRow]) -> list[ReportRow]:
    """The rows of a report by person with each employee id replaced by the HR id."""
    ids = [row.key for row in rows if row.key]
    if not ids:
        return rows
    found = conn.execute(select(EmployeeRow.id, EmployeeRow.external_id).where(EmployeeRow.id.in_(ids)))
    hr: dict[str, str | None] = {key: external for key, external in found}
    return [ReportRow(hr.get(row.key) if row.key else None, row.recognitions, row.points) for row in rows]


def _active() -> Select:
    """How many people may take part: active, not erased, not bots."""
    return (
        select(func.count())
        .select_from(EmployeeRow)
        .where(EmployeeRow.status == "active", EmployeeRow.erased_at.is_(None), EmployeeRow.is_bot.is_(False))
    )
