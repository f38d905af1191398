"""Scheduler tables: milestone rules, and marks that make scheduled notices happen once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.schema.core import Base
from storage.schema.types import BigId, UTCDateTime


class MilestoneRuleRow(Base):
    __tablename__ = "milestone_rules"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    points: Mapped[int] = mapped_column(Integer)
    points_table: Mapped[str] = mapped_column(Text, default="{}")  # JSON {"years": points}
    thresholds: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of counts
    weekend_to_friday: Mapped[bool] = mapped_column(Boolean, default=False)
    offset_days: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SchedulerMarkRow(Base):
    """A scheduled thing that must happen once (a weekly digest, say), keyed by its name."""

    __tablename__ = "scheduler_marks"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    done_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SchedulerJobRunRow(Base):
    """How often each scheduled job ran and when it last succeeded (for /metrics)."""

    __tablename__ = "scheduler_job_runs"

    job: Mapped[str] = mapped_column(String(40), primary_key=True)
    runs: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
