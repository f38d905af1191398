"""Read-only figures for operations: what /metrics reports about the ledger, redemptions and delivery.

Nothing here counts a whole history table at each scrape: recognition totals come from the
tallies (a row per person), outbox and attempt counts are the carried totals plus what the
purge has not yet deleted (bounded by its retention), each read through an index."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, exists, func, select

from rewards.model import RedemptionState
from rewards.tallies import ALL_STARTS, GIVEN
from storage.database.engine import read_only
from storage.delivery import totals
from storage.scheduling import job_runs
from storage.schema.core import (
    OutboxAttemptRow,
    OutboxRow,
    RecognitionRecipientRow,
    RecognitionRow,
    RedemptionRow,
)
from storage.schema.reactions import ReactionKudosRow
from storage.schema.tallies import RecognitionTallyRow, TallyBuildRow
from storage.store import Store

OUTBOX_STATUSES = ("pending", "delivered", "dead")


@dataclass(frozen=True)
class ProgramFigures:
    """Totals of the program and the outbox, read in one snapshot."""

    recognitions: int  # reaction kudos taken back are not counted
    recognition_points: int
    redemptions_by_state: dict[str, int]
    outbox_by_status: dict[str, tuple[int, datetime | None]]  # status -> (messages, oldest created_at)


@dataclass(frozen=True)
class DeliveryFigures:
    """Failed webhook attempts, and each scheduled job's runs: (job, total, failed, last success)."""

    webhook_failures: int
    job_runs: list[tuple[str, int, int, datetime | None]]


@contextmanager
def _snapshot(store: Store) -> Iterator[Connection]:
    """A read-only transaction that sees one snapshot throughout.

    Each figure adds numbers read by several statements (kept rows and the totals carried past
    their purge; tallies and the history a build has not reached): a commit between two of them
    would count rows twice in one scrape and drop them at the next, which Prometheus takes for a
    counter reset. SQLite's read transaction is one snapshot already; PostgreSQL's default READ
    COMMITTED takes a new one per statement."""
    engine = read_only(store.engine)
    if engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="REPEATABLE READ")
    with engine.connect() as conn, conn.begin():
        yield conn


def program_figures(store: Store) -> ProgramFigures:
    """Recognitions and their points, redemptions by state, outbox messages by status."""
    with _snapshot(store) as conn:
        recognitions, points = recognition_totals(conn)
        by_state = {
            state.value: int(conn.scalar(select(func.count()).where(RedemptionRow.state == state)) or 0)
            for state in RedemptionState
        }
        carried = totals.carried(conn)
        outbox: dict[str, tuple[int, datetime | None]] = {}
        for status in OUTBOX_STATUSES:
            kept = int(conn.scalar(select(func.count()).where(OutboxRow.status == status)) or 0)
            outbox[status] = (kept + (carried.get(totals.DELIVERED, 0) if status == "delivered" else 0), None)
        oldest = conn.scalar(select(func.min(OutboxRow.created_at)).where(OutboxRow.status == "pending"))
        outbox["pending"] = (outbox["pending"][0], oldest)
    return ProgramFigures(
        recognitions=recognitions,
        recognition_points=points,
        redemptions_by_state={state: n for state, n in by_state.items() if n},
        outbox_by_status={status: found for status, found in outbox.items() if found[0]},
    )


def recognition_totals(conn: Connection) -> tuple[int, int]:
    """Recognitions given and the points they gave, reaction kudos taken back left out (read it
    in one snapshot: see `_snapshot`).

    The sum of the givers' all-time tallies; while their build runs, plus the recognitions it has
    not reached yet; before any build, the history itself."""
    build = conn.execute(
        select(TallyBuildRow.through_id, TallyBuildRow.target_id, TallyBuildRow.finished_at).where(
            TallyBuildRow.id == 1
        )
    ).first()
    if build is None:
        return _history_totals(conn, None, None)
    tallied = conn.execute(
        select(
            func.coalesce(func.sum(RecognitionTallyRow.recognitions), 0),
            func.coalesce(func.sum(RecognitionTallyRow.points), 0),
        ).where(
            RecognitionTallyRow.grain == "all",
            RecognitionTallyRow.starts == ALL_STARTS,
            RecognitionTallyRow.role == GIVEN,
            RecognitionTallyRow.value == "",
        )
    ).one()
    recognitions, points = int(tallied[0]), int(tallied[1])
    if build.finished_at is None:
        more, more_points = _history_totals(conn, build.through_id, build.target_id)
        recognitions, points = recognitions + more, points + more_points
    return recognitions, points


def _history_totals(conn: Connection, after: int | None, through: int | None) -> tuple[int, int]:
    """Recognitions with ids in (after, through] and their points, reaction kudos taken back left out."""
    kept = [
        ~exists().where(
            ReactionKudosRow.recognition_id == RecognitionRow.id, ReactionKudosRow.reversed_at.is_not(None)
        )
    ]
    if after is not None:
        kept.append(RecognitionRow.id > after)
    if through is not None:
        kept.append(RecognitionRow.id <= through)
    recognitions = conn.scalar(select(func.count()).select_from(RecognitionRow).where(*kept))
    points = conn.scalar(
        select(func.coalesce(func.sum(RecognitionRow.points_each), 0))
        .select_from(RecognitionRow)
        .join(RecognitionRecipientRow, RecognitionRecipientRow.recognition_id == RecognitionRow.id)
        .where(*kept)
    )
    return int(recognitions or 0), int(points or 0)


def delivery_figures(store: Store) -> DeliveryFigures:
    """Failed webhook delivery attempts (carried past the purge, plus those kept) and the
    scheduled jobs' run counts."""
    with _snapshot(store) as conn:
        # The channel looked up per failed attempt (by primary key), not joined: a join lets the
        # planner read the whole outbox for its channel, which no index serves.
        channel = (
            select(OutboxRow.channel).where(OutboxRow.id == OutboxAttemptRow.outbox_id).scalar_subquery()
        )
        kept = conn.scalar(
            select(func.count())
            .select_from(OutboxAttemptRow)
            .where(OutboxAttemptRow.succeeded.is_(False), channel == "webhook")
        )
        failures = int(kept or 0) + totals.carried(conn).get(totals.WEBHOOK_FAILURES, 0)
        runs = job_runs.all_runs(conn)
    return DeliveryFigures(webhook_failures=failures, job_runs=runs)
