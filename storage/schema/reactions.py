"""Tables of the Slack area: the log of emoji reactions that gave points."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.schema.core import Base
from storage.schema.types import BigId, UTCDateTime


class ReactionKudosRow(Base):
    __tablename__ = "reaction_kudos"
    __table_args__ = (
        Index("ix_reaction_kudos_giver_ref", "giver_id", "message_ref"),
        Index("ix_reaction_kudos_giver_created", "giver_id", "created_at"),
        # Which of a page's recognitions were taken back: looked up by recognition.
        Index("ix_reaction_kudos_recognition", "recognition_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    giver_id: Mapped[str] = mapped_column(ForeignKey("employees.id"))
    recipient_id: Mapped[str] = mapped_column(ForeignKey("employees.id"))
    message_ref: Mapped[str] = mapped_column(String(200))
    recognition_id: Mapped[int] = mapped_column(ForeignKey("recognitions.id"))
    points: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
