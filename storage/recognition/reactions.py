"""The reaction kudos log, inside a unit of work's session."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import func, insert, select, update

from rewards.reactions import ReactionKudos
from storage.database.unit_session import UnitSession
from storage.schema.reactions import ReactionKudosRow

# Recognitions whose reaction kudos was taken back: never counted anywhere, as if never given.
TAKEN_BACK = select(ReactionKudosRow.recognition_id).where(ReactionKudosRow.reversed_at.is_not(None))
COLUMNS = ("giver_id", "recipient_id", "message_ref", "recognition_id", "points", "created_at", "reversed_at")


class SqlReactionLog:
    def __init__(self, session: UnitSession) -> None:
        self.session = session

    @classmethod
    def of(cls, uow) -> SqlReactionLog:
        """The log bound to an open SqlUnitOfWork."""
        return cls(uow.session)

    def add(self, reaction: ReactionKudos) -> ReactionKudos:
        new_id = self.session.execute(
            insert(ReactionKudosRow)
            .values(**{name: getattr(reaction, name) for name in COLUMNS})
            .returning(ReactionKudosRow.id)
        ).scalar_one()
        return replace(reaction, id=new_id)

    def active(self, giver_id: str, message_ref: str) -> ReactionKudos | None:
        row = self.session.scalars(
            select(ReactionKudosRow)
            .where(
                ReactionKudosRow.giver_id == giver_id,
                ReactionKudosRow.message_ref == message_ref,
                ReactionKudosRow.reversed_at.is_(None),
            )
            .order_by(ReactionKudosRow.id.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        return ReactionKudos(id=row.id, **{name: getattr(row, name) for name in COLUMNS})

    def mark_reversed(self, reaction_id: int, at: datetime) -> None:
        self.session.execute(
            update(ReactionKudosRow).where(ReactionKudosRow.id == reaction_id).values(reversed_at=at)
        )

    def points_given_since(self, giver_id: str, since: datetime) -> int:
        total = self.session.scalar(
            select(func.coalesce(func.sum(ReactionKudosRow.points), 0)).where(
                ReactionKudosRow.giver_id == giver_id,
                ReactionKudosRow.created_at >= since,
                ReactionKudosRow.reversed_at.is_(None),
            )
        )
        return int(total or 0)
