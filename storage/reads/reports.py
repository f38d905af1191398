"""Read-only recognition queries for HR: the recognition list and the grouped report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import distinct, func, select

from rewards.model import Recognition
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
    """Recognitions in id order; `department` matches any recipient's department."""
    query = select(RecognitionRow.id).order_by(RecognitionRow.id).limit(limit + 1)
    if after_id is not None:
        query = query.where(RecognitionRow.id > after_id)
    if since is not None:
        query = query.where(RecognitionRow.created_at >= since)
    if value:
        query = query.where(RecognitionRow.value == value)
    if department:
        query = query.where(
            RecognitionRow.id.in_(
                select(RecognitionRecipientRow.recognition_id)
                .join(EmployeeRow, EmployeeRow.id == RecognitionRecipientRow.employee_id)
                .where(EmployeeRow.department == department)
            )
        )
    with store.reader() as uow:
        # Ids and rows are read in one transaction: every id is found.
        found = (uow.recognitions.get(rid) for rid in uow.session.scalars(query).all())
        return [recognition for recognition in found if recognition is not None]


@dataclass(frozen=True)
class ReportRow:
    key: str | None
    recognitions: int
    points: int


@dataclass(frozen=True)
class Participation:
    active_employees: int
    gave: int
    received: int


def recognition_report(
    store: Store, start: datetime, end: datetime, group_by: str
) -> tuple[list[ReportRow], Participation]:
    """Recognitions and points received in [start, end), grouped, with participation."""
    if group_by not in GROUPS:
        raise ValueError(f"group_by must be one of {GROUPS}")
    window = (RecognitionRow.created_at >= start, RecognitionRow.created_at < end)
    points = func.sum(RecognitionRow.points_each)
    count = func.count(distinct(RecognitionRow.id))
    base = (
        select(count, points)
        .select_from(RecognitionRow)
        .join(RecognitionRecipientRow, RecognitionRecipientRow.recognition_id == RecognitionRow.id)
    )
    key = {
        "value": RecognitionRow.value,
        "giver": RecognitionRow.giver_id,
        "recipient": RecognitionRecipientRow.employee_id,
        "department": EmployeeRow.department,
    }[group_by]
    query = base.add_columns(key).where(*window).group_by(key).order_by(points.desc(), key)
    if group_by == "department":
        query = query.join(EmployeeRow, EmployeeRow.id == RecognitionRecipientRow.employee_id)
    with store.reader() as uow:
        rows = [ReportRow(k, int(n), int(p or 0)) for n, p, k in uow.session.execute(query)]
        return rows, _participation(uow.session, window)


def _participation(session, window) -> Participation:
    active = session.scalar(
        select(func.count())
        .select_from(EmployeeRow)
        .where(EmployeeRow.status == "active", EmployeeRow.erased_at.is_(None), EmployeeRow.is_bot.is_(False))
    )
    gave = session.scalar(select(func.count(distinct(RecognitionRow.giver_id))).where(*window))
    received = session.scalar(
        select(func.count(distinct(RecognitionRecipientRow.employee_id)))
        .join(RecognitionRow, RecognitionRow.id == RecognitionRecipientRow.recognition_id)
        .where(*window)
    )
    return Participation(int(active or 0), int(gave or 0), int(received or 0))
