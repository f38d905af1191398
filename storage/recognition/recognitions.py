"""Recognitions and their recipients."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, text

from rewards.model import Recognition
from rewards.tallies import TallyKey
from storage.database.in_lists import InList
from storage.database.prepared import Prepared, pipelined
from storage.database.unit_session import UnitSession
from storage.recognition.tallies import upsert
from storage.schema.core import RecognitionRecipientRow, RecognitionRow

R = RecognitionRow.__table__
RR = RecognitionRecipientRow.__table__
INSERT = insert(R).returning(R.c.id)
INSERT_RECIPIENT = insert(RR)
# PostgreSQL: the recognition and its recipients in one round trip (a data-modifying CTE).
INSERT_WITH_RECIPIENTS = text(
    "WITH r AS (INSERT INTO recognitions"
    " (giver_id, points_each, value, reason, source, private, created_at)"
    " VALUES (:giver_id, :points_each, :value, :reason, :source, :private, :created_at)"
    " RETURNING id),"
    " rr AS (INSERT INTO recognition_recipients (recognition_id, employee_id)"
    " SELECT r.id, u.employee_id FROM r, unnest(CAST(:recipient_ids AS varchar[])) AS u(employee_id))"
    " SELECT id FROM r"
).bindparams(bindparam("created_at", type_=R.c.created_at.type))
COLUMNS = ["giver_id", "points_each", "value", "reason", "source", "private", "created_at"]
RUN_INSERT = Prepared(INSERT, COLUMNS)
RUN_INSERT_RECIPIENT = Prepared(INSERT_RECIPIENT, ["recognition_id", "employee_id"])
RUN_INSERT_WITH_RECIPIENTS = Prepared(INSERT_WITH_RECIPIENTS)
BY_ID = select(R).where(R.c.id == bindparam("id"))
RECIPIENTS = select(RR.c.employee_id).where(RR.c.recognition_id == bindparam("id"))
POINTS_BETWEEN = (
    select(func.coalesce(func.sum(R.c.points_each), 0))
    .join(RR, RR.c.recognition_id == R.c.id)
    .where(
        R.c.giver_id == bindparam("giver"),
        RR.c.employee_id == bindparam("recipient"),
        R.c.created_at >= bindparam("since", type_=R.c.created_at.type),
    )
)

POINTS_TO_EACH = InList(
    "recipient",
    lambda recipients: (
        select(RR.c.employee_id, func.sum(R.c.points_each))
        .join(RR, RR.c.recognition_id == R.c.id)
        .where(
            R.c.giver_id == bindparam("giver"),
            RR.c.employee_id.in_(recipients),
            R.c.created_at >= bindparam("since", type_=R.c.created_at.type),
        )
        .group_by(RR.c.employee_id)
    ),
    RR.c.employee_id.type,
)


class SqlRecognitionRepository:
    def __init__(self, session: UnitSession) -> None:
        self.session = session

    def add(
        self, recognition: Recognition, tallies: Mapping[TallyKey, tuple[int, int]] | None = None
    ) -> Recognition:
        conn = self.session.connection()
        values = {
            "giver_id": recognition.giver_id,
            "points_each": recognition.points_each,
            "value": recognition.value,
            "reason": recognition.reason,
            "source": recognition.source,
            "private": recognition.private,
            "created_at": recognition.created_at,
        }
        if conn.dialect.name == "postgresql":
            # The tallies first (see storage/recognition/tallies.py), then the recognition, sent
            # together: one round trip (folding the upsert into the CTE measured slower).
            with pipelined(conn):
                if tallies:
                    upsert(conn, tallies)
                new_id = RUN_INSERT_WITH_RECIPIENTS.scalar(
                    conn, {**values, "recipient_ids": list(recognition.recipient_ids)}
                )
            return replace(recognition, id=new_id)
        if tallies:
            upsert(conn, tallies)
        new_id = RUN_INSERT.scalar(conn, values)
        RUN_INSERT_RECIPIENT.run_many(
            conn, [{"recognition_id": new_id, "employee_id": rid} for rid in recognition.recipient_ids]
        )
        return replace(recognition, id=new_id)

    def get(self, recognition_id: int) -> Recognition | None:
        conn = self.session.connection()
        row = conn.execute(BY_ID, {"id": recognition_id}).first()
        if row is None:
            return None
        recipients = conn.execute(RECIPIENTS, {"id": recognition_id}).scalars().all()
        return recognition_of(row, list(recipients))

    def points_between(self, giver_id: str, recipient_id: str, since: datetime) -> int:
        total = (
            self.session.connection()
            .execute(POINTS_BETWEEN, {"giver": giver_id, "recipient": recipient_id, "since": since})
            .scalar()
        )
        return int(total or 0)

    def points_to_each(self, giver_id: str, recipient_ids, since: datetime) -> dict[str, int]:
        rows = POINTS_TO_EACH.rows(
            self.session.connection(), sorted(set(recipient_ids)), {"giver": giver_id, "since": since}
        )
        return {recipient: int(total or 0) for recipient, total in rows}


def recognition_of(row: Any, recipient_ids: list[str]) -> Recognition:
    """A recognitions row and its recipients' ids as the domain's Recognition."""
    return Recognition(
        id=row.id,
        giver_id=row.giver_id,
        recipient_ids=recipient_ids,
        points_each=row.points_each,
        value=row.value,
        reason=row.reason,
        source=row.source,
        private=row.private,
        created_at=row.created_at,
    )
