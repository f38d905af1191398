"""Read-only figures for operations: what /metrics reports about the ledger, redemptions and delivery."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from storage.scheduling import job_runs
from storage.schema.core import (
    OutboxAttemptRow,
    OutboxRow,
    RecognitionRecipientRow,
    RecognitionRow,
    RedemptionRow,
)
from storage.store import Store


@dataclass(frozen=True)
class ProgramFigures:
    """Totals of the program and the outbox, read in one transaction."""

    recognitions: int
    recognition_points: int
    redemptions_by_state: dict[str, int]
    outbox_by_status: dict[str, tuple[int, datetime | None]]  # status -> (messages, oldest created_at)


@dataclass(frozen=True)
class DeliveryFigures:
    """Failed webhook attempts, and each scheduled job's runs: (job, total, failed, last success)."""

    webhook_failures: int
    job_runs: list[tuple[str, int, int, datetime | None]]


def program_figures(store: Store) -> ProgramFigures:
    """Recognitions and their points, redemptions by state, outbox messages by status."""
    with store.reader() as uow:
        conn = uow.session.connection()
        recognitions = conn.execute(select(func.count()).select_from(RecognitionRow)).scalar()
        points = conn.execute(
            select(func.coalesce(func.sum(RecognitionRow.points_each), 0)).join(RecognitionRecipientRow)
        ).scalar()
        by_state = conn.execute(select(RedemptionRow.state, func.count()).group_by(RedemptionRow.state)).all()
        outbox = conn.execute(
            select(OutboxRow.status, func.count(), func.min(OutboxRow.created_at)).group_by(OutboxRow.status)
        ).all()
    return ProgramFigures(
        recognitions=int(recognitions or 0),
        recognition_points=int(points or 0),
        redemptions_by_state={state: int(n) for state, n in by_state},
        outbox_by_status={status: (int(n), first) for status, n, first in outbox},
    )


def delivery_figures(store: Store) -> DeliveryFigures:
    """Failed webhook delivery attempts and the scheduled jobs' run counts."""
    with store.reader() as uow:
        conn = uow.session.connection()
        failures = conn.execute(
            select(func.count())
            .select_from(OutboxAttemptRow)
            .join(OutboxRow, OutboxRow.id == OutboxAttemptRow.outbox_id)
            .where(OutboxRow.channel == "webhook", OutboxAttemptRow.succeeded.is_(False))
        ).scalar()
        runs = job_runs.all_runs(conn)
    return DeliveryFigures(webhook_failures=int(failures or 0), job_runs=runs)
