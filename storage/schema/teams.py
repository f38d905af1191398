"""Tables of teams (SCIM Groups): the teams, and who belongs to each."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.schema.core import Base
from storage.schema.types import UTCDateTime


class TeamRow(Base):
    """A team; its name is not personal data (an identity provider's group name), so it is plain."""

    __tablename__ = "teams"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    # The name case-folded in Python: SQLite's lower() folds ASCII only, and SCIM's displayName
    # is compared without regard to case in any script. Folding may lengthen a name up to 3x.
    display_name_folded: Mapped[str] = mapped_column(String(600))
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TeamMemberRow(Base):
    """One employee's membership of one team."""

    __tablename__ = "team_members"
    # A person's teams (their SCIM `groups`, a `members.value` filter, erasure) start from them.
    __table_args__ = (Index("ix_team_members_employee", "employee_id"),)

    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    employee_id: Mapped[str] = mapped_column(ForeignKey("employees.id"), primary_key=True)
