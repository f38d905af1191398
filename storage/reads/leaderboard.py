"""The leaderboard: the top of a window read from the tallies, or from the history until they are
built."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, select

from rewards.tallies import RECEIVED, RECEIVED_BY_VALUE, RECEIVED_GRAINS, tally_units
from storage.recognition.reactions import TAKEN_BACK
from storage.recognition.tallies import is_built
from storage.schema.core import EmployeeRow, RecognitionRecipientRow, RecognitionRow
from storage.schema.tallies import RecognitionTallyRow
from storage.store import Store

WINDOWS = RECEIVED_GRAINS  # day, week, month, quarter, year, all


@dataclass(frozen=True)
class LeaderboardRow:
    employee_id: str
    points: int
    recognitions: int


T = RecognitionTallyRow
# The people erased: few, read once per statement (PostgreSQL: a hashed subplan; SQLite: a list
# built once) instead of a join to employees for each of the window's rows.
ERASED = select(EmployeeRow.id).where(EmployeeRow.erased_at.is_not(None))

# The first `limit` people of one window's received rows (a range of the tallies' key: grain, starts,
# role, value), erased people and rows taken back to 0 left out, highest points first (ties: the
# higher employee id). It reads the window's rows, at most one per person, and keeps the top.
TOP = (
    select(T.employee_id, T.points, T.recognitions)
    .where(
        T.grain == bindparam("grain"),
        T.starts == bindparam("starts"),
        T.role == RECEIVED,
        T.value == bindparam("value"),
        T.recognitions > 0,
        T.employee_id.not_in(ERASED),
    )
    .order_by(T.points.desc(), T.employee_id.desc())
    .limit(bindparam("limit"))
)


def window_start(window: str, at: datetime, timezone: str) -> date:
    """The local date the window containing `at` starts on, in the organisation's zone."""
    if window not in WINDOWS:
        raise ValueError(f"unknown leaderboard window {window!r}")
    return tally_units(at, timezone)[window]


def leaderboard(
    store: Store,
    window: str,
    value: str | None = None,
    limit: int = 10,
    *,
    at: datetime,
    timezone: str,
) -> list[LeaderboardRow]:
    """Who received the most recognition points in the window containing `at` (for a value):
    private kudos count, reaction kudos taken back do not, erased people never appear."""
    starts = window_start(window, at, timezone)
    from_tallies = value is None or window in RECEIVED_BY_VALUE
    with store.reader() as uow:
        conn = uow.session.connection()
        if from_tallies and is_built(conn, timezone):
            params = {"grain": window, "starts": starts, "value": value or "", "limit": limit}
            rows = [LeaderboardRow(e, int(p), int(n)) for e, p, n in conn.execute(TOP, params)]
            # each statement sees its own snapshot (PostgreSQL, READ COMMITTED): a rebuild may have
            # cleared the tallies since the check above, so the answer stands only if still built
            if is_built(conn, timezone):
                return rows
    if window == "all":
        return history_leaderboard(store, value=value, limit=limit)
    since, until = _utc_midnight(starts, timezone), _utc_midnight(_next_start(window, starts), timezone)
    return history_leaderboard(store, since=since, value=value, limit=limit, until=until)


def _next_start(window: str, starts: date) -> date:
    """The first day after the window that starts on `starts`."""
    if window == "day":
        return starts + timedelta(days=1)
    if window == "week":
        return starts + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[window]
    index = starts.month - 1 + months
    return date(starts.year + index // 12, index % 12 + 1, 1)


def _utc_midnight(day: date, timezone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def history_leaderboard(
    store: Store,
    since: datetime | None = None,
    value: str | None = None,
    limit: int = 10,
    until: datetime | None = None,
) -> list[LeaderboardRow]:
    """The same top, summed from the whole history (since a time, before `until`, for a value):
    the answer while the tallies are being built, and the oracle the tests hold them to."""
    points = func.sum(RecognitionRow.points_each).label("points")
    query = (
        select(RecognitionRecipientRow.employee_id, points, func.count().label("n"))
        .join(RecognitionRow, RecognitionRow.id == RecognitionRecipientRow.recognition_id)
        .join(EmployeeRow, EmployeeRow.id == RecognitionRecipientRow.employee_id)
        .where(RecognitionRow.id.not_in(TAKEN_BACK), EmployeeRow.erased_at.is_(None))
        .group_by(RecognitionRecipientRow.employee_id)
        .order_by(points.desc(), RecognitionRecipientRow.employee_id.desc())
        .limit(limit)
    )
    if since is not None:
        query = query.where(RecognitionRow.created_at >= since)
    if until is not None:
        query = query.where(RecognitionRow.created_at < until)
    if value is not None:
        query = query.where(RecognitionRow.value == value)
    with store.reader() as uow:
        return [LeaderboardRow(e, int(p), int(n)) for e, p, n in uow.session.execute(query)]
