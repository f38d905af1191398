"""Marks that make a scheduled notice happen once, and the weekly digest's read query."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from rewards.scheduler_ports import WeekSummary
from storage.database.unit_session import UnitSession
from storage.schema.core import RecognitionRecipientRow, RecognitionRow, TransactionRow
from storage.schema.scheduling import SchedulerMarkRow


class SqlMarks:
    def __init__(self, session: UnitSession) -> None:
        self.session = session

    def add_once(self, key: str, at: datetime) -> bool:
        if self.session.get(SchedulerMarkRow, key) is not None:
            return False
        try:
            with self.session.begin_nested():
                self.session.add(SchedulerMarkRow(key=key, done_at=at))
        except IntegrityError:
            return False  # recorded concurrently
        return True


class SqlDigestQueries:
    def __init__(self, session: UnitSession) -> None:
        self.session = session

    def summary(self, since: datetime, until: datetime) -> WeekSummary:
        in_week = (RecognitionRow.created_at >= since, RecognitionRow.created_at < until)
        joined = (
            select(
                RecognitionRow.id,
                RecognitionRow.value,
                RecognitionRow.points_each,
                RecognitionRecipientRow.employee_id,
            )
            .join(RecognitionRecipientRow, RecognitionRecipientRow.recognition_id == RecognitionRow.id)
            .where(*in_week, RecognitionRow.private.is_(False))
            .subquery()
        )
        count = self.session.scalar(select(func.count(func.distinct(joined.c.id)))) or 0
        points = self.session.scalar(select(func.coalesce(func.sum(joined.c.points_each), 0))) or 0
        n = func.count(func.distinct(joined.c.id)).label("n")
        values = self.session.execute(
            select(joined.c.value, n)
            .where(joined.c.value.is_not(None))
            .group_by(joined.c.value)
            .order_by(n.desc(), joined.c.value)
            .limit(3)
        ).all()
        got = func.sum(joined.c.points_each).label("got")
        recipients = self.session.scalars(
            select(joined.c.employee_id)
            .group_by(joined.c.employee_id)
            .order_by(got.desc(), joined.c.employee_id)
            .limit(3)
        ).all()
        milestones = (
            self.session.scalar(
                select(func.count())
                .select_from(TransactionRow)
                .where(
                    TransactionRow.kind == "milestone",
                    TransactionRow.created_at >= since,
                    TransactionRow.created_at < until,
                )
            )
            or 0
        )
        return WeekSummary(
            int(count), int(points), [(v, int(c)) for v, c in values], list(recipients), int(milestones)
        )
