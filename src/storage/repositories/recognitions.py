"""Recognitions and their recipients."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from rewards.model import Recognition
from storage.tables import RecognitionRecipientRow, RecognitionRow


class SqlRecognitionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, recognition: Recognition) -> Recognition:
        new_id = self.session.scalar(insert(RecognitionRow).values(
            giver_id=recognition.giver_id, points_each=recognition.points_each,
            value=recognition.value, reason=recognition.reason, source=recognition.source,
            private=recognition.private, created_at=recognition.created_at,
        ).returning(RecognitionRow.id))
        self.session.execute(insert(RecognitionRecipientRow), [
            {"recognition_id": new_id, "employee_id": rid} for rid in recognition.recipient_ids
        ])
        return replace(recognition, id=new_id)

    def get(self, recognition_id: int) -> Recognition | None:
        row = self.session.get(RecognitionRow, recognition_id)
        if row is None:
            return None
        recipients = self.session.scalars(
            select(RecognitionRecipientRow.employee_id)
            .where(RecognitionRecipientRow.recognition_id == recognition_id)
        ).all()
        return Recognition(
            id=row.id, giver_id=row.giver_id, recipient_ids=list(recipients),
            points_each=row.points_each, value=row.value, reason=row.reason, source=row.source,
            private=row.private, created_at=row.created_at,
        )

    def points_between(self, giver_id: str, recipient_id: str, since: datetime) -> int:
        total = self.session.scalar(
            select(func.coalesce(func.sum(RecognitionRow.points_each), 0))
            .join(RecognitionRecipientRow,
                  RecognitionRecipientRow.recognition_id == RecognitionRow.id)
            .where(RecognitionRow.giver_id == giver_id,
                   RecognitionRecipientRow.employee_id == recipient_id,
                   RecognitionRow.created_at >= since)
        )
        return int(total or 0)
