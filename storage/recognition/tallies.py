"""Recognition tallies: the upsert a give writes, and the resumable build from the history.

Every writer of tally rows upserts them in one order (grain, starts, role, value, employee id),
so on PostgreSQL two writers that share rows lock them in the same order and never deadlock.
Gives write their rows before the recognition itself: a give whose rows wait for a build's start
gets its recognition id after the build chose its target, so it is counted live and never by the
build too; and its rows are cut in the zone of the build it is counted in (see `upsert`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, delete, func, insert, select, text, update
from sqlalchemy.exc import OperationalError

from rewards.tallies import (
    GIVEN,
    GIVEN_BY_VALUE,
    GIVEN_GRAINS,
    RECEIVED,
    RECEIVED_BY_VALUE,
    RECEIVED_GRAINS,
    TallyRows,
    tally_units,
)
from storage.database.engine import write_lock
from storage.database.prepared import dbapi_cursor, log_statement
from storage.database.unit_session import UnitSession
from storage.schema.core import RecognitionRecipientRow, RecognitionRow
from storage.schema.reactions import ReactionKudosRow
from storage.schema.tallies import RecognitionTallyRow, TallyBuildRow

T = RecognitionTallyRow.__table__
B = TallyBuildRow.__table__
Key = tuple[str, date, str, str, str]
Totals = dict[Key, tuple[int, int]]
Progress = Callable[[str], None]
# A batch commits in one transaction: on SQLite it holds the write lock (every give waits) while
# it upserts its rows, and on PostgreSQL the locks of its rows (a give to a person in it waits):
# 2,000 recognitions at a million's density are ~28,000 rows, 0.3-0.5 s on this 2-core machine.
BATCH = 2_000
BUILD_ID = 1
# A start's TRUNCATE waits for its exclusive lock behind every open reader of the table, and every
# give's upsert queues behind the waiting TRUNCATE: it waits at most this long, then backs off
# (the gives go on) and tries again after each pause; past the last it fails.
LOCK_TIMEOUT = "500ms"
START_PAUSES = (0.25, 0.5, 1.0, 2.0, 4.0)
BUSY = "a long read of the tallies (ledger verify?) is running: try again when it ends"


UPDATE_ON_CONFLICT = (
    " ON CONFLICT (grain, starts, role, value, employee_id) DO UPDATE SET"
    " recognitions = recognition_tallies.recognitions + excluded.recognitions,"
    " points = recognition_tallies.points + excluded.points"
)
COLUMNS = "grain, starts, role, value, employee_id, recognitions, points"
# PostgreSQL, a give's rows: one statement of constant text whatever the number of rows (the
# driver prepares it once), the rows as one JSON text: dumping seven arrays cost the give ~100 us
# more client CPU. Taken in the order sent (the writers' order).
UPSERT_JSON = (
    f"INSERT INTO recognition_tallies ({COLUMNS})"
    " SELECT r.g, r.s, r.r, r.v, r.e, r.n, r.p FROM ROWS FROM (json_to_recordset(CAST(%s AS json))"
    " AS (g varchar, s date, r varchar, v varchar, e varchar, n integer, p bigint)) WITH ORDINALITY"
    " AS r(g, s, r, v, e, n, p, i) ORDER BY r.i" + UPDATE_ON_CONFLICT
)
# PostgreSQL, a build's batch (tens of thousands of rows): arrays are dumped in Python, slowly;
# COPY's binary rows are formatted in C, into a session's scratch table emptied at each commit.
BATCH_TABLE = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS tally_batch"
    " (LIKE recognition_tallies INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
)
COPY_BATCH = f"COPY tally_batch ({COLUMNS}) FROM STDIN (FORMAT BINARY)"
COPY_TYPES = ["varchar", "date", "varchar", "varchar", "varchar", "int4", "int8"]
UPSERT_BATCH = (
    f"INSERT INTO recognition_tallies ({COLUMNS}) SELECT {COLUMNS} FROM tally_batch"
    " ORDER BY grain, starts, role, value, employee_id" + UPDATE_ON_CONFLICT
)
# A give's rows are cut in the zone of the build (the one row of tally_builds), if there is one.
BUILT_ZONE = f"SELECT timezone FROM tally_builds WHERE id = {BUILD_ID}"
# PostgreSQL: naming the tallies takes a lock on them (before the statement's snapshot) that a
# build's TRUNCATE waits for and that waits for a TRUNCATE under way, until this transaction ends.
BUILT_ZONE_HELD = (
    "SELECT b.timezone FROM tally_builds AS b"
    " LEFT JOIN (SELECT 1 FROM recognition_tallies LIMIT 0) AS held ON true"
    f" WHERE b.id = {BUILD_ID}"
)
# SQLite: up to ROWS_PER_STATEMENT rows in one statement of several VALUES (the driver keeps each
# length's compiled statement): a give's 10-20 rows in one step (with its commit, 38 us against
# executemany's 45 in a bare measurement).
ROWS_PER_STATEMENT = 100


def _sqlite_upsert(rows: int) -> str:
    values = ", ".join(["(?, ?, ?, ?, ?, ?, ?)"] * rows)
    return f"INSERT INTO recognition_tallies ({COLUMNS}) VALUES {values}" + UPDATE_ON_CONFLICT


SQLITE_UPSERTS = [""] + [_sqlite_upsert(n) for n in range(1, ROWS_PER_STATEMENT + 1)]


def upsert(conn: Connection, totals: Mapping[Key, tuple[int, int]]) -> None:
    """Add these per-row totals to the table in the writers' order, in one statement (on SQLite
    of up to ROWS_PER_STATEMENT rows), on the driver (a give runs it). A recognition's rows
    (TallyRows) are first cut again in the zone the tallies were built in, if the caller's
    differs (a server whose configured zone changed before or after the others')."""
    if not totals:
        return
    write_lock(conn)
    cursor = dbapi_cursor(conn)
    try:
        if isinstance(totals, TallyRows):
            totals = totals.in_zone(_built_zone(conn, cursor) or totals.timezone)
        items = sorted(totals.items())
        if conn.dialect.name == "postgresql":
            rows = json.dumps(
                [
                    {"g": g, "s": d.isoformat(), "r": r, "v": v, "e": e, "n": n, "p": p}
                    for (g, d, r, v, e), (n, p) in items
                ]
            )
            log_statement(UPSERT_JSON, [rows])
            cursor.execute(UPSERT_JSON, [rows])
        else:
            _sqlite_rows(cursor, items)
    finally:
        cursor.close()


def _built_zone(conn: Connection, cursor) -> str | None:
    """The zone the tallies are (being) built in, None before any build; read so that a build
    starting meanwhile is either seen or waits for this transaction. On SQLite the write lock
    (held) serialises it with a build's start. On PostgreSQL the start truncates the table: the
    read's lock on it waits for a start under way and holds off the next until this commits, and
    its snapshot, taken once the lock is held, sees the zone this give's rows must be cut in."""
    statement = BUILT_ZONE_HELD if conn.dialect.name == "postgresql" else BUILT_ZONE
    log_statement(statement, [])
    cursor.execute(statement)
    row = cursor.fetchone()
    return None if row is None else row[0]


def load(conn: Connection, totals: Totals) -> None:
    """Add a build's batch of totals to the table: on PostgreSQL copied in, then upserted in
    the writers' order by one statement; on SQLite as `upsert` does."""
    if conn.dialect.name != "postgresql":
        upsert(conn, totals)
        return
    cursor = dbapi_cursor(conn)
    try:
        cursor.execute(BATCH_TABLE)
        log_statement(COPY_BATCH, f"[{len(totals)} rows]")
        with cursor.copy(COPY_BATCH) as copy:
            copy.set_types(COPY_TYPES)
            for key, sums in totals.items():
                copy.write_row((*key, *sums))
        log_statement(UPSERT_BATCH, [])
        cursor.execute(UPSERT_BATCH)
    finally:
        cursor.close()


def _sqlite_rows(cursor, items: list[tuple[Key, tuple[int, int]]]) -> None:
    """In statements of up to ROWS_PER_STATEMENT rows; dates as SQLAlchemy's Date stores them on
    SQLite (ISO text)."""
    for at in range(0, len(items), ROWS_PER_STATEMENT):
        chunk = items[at : at + ROWS_PER_STATEMENT]
        args = [x for (g, s, r, v, e), (n, p) in chunk for x in (g, s.isoformat(), r, v, e, n, p)]
        log_statement(SQLITE_UPSERTS[len(chunk)], args)
        cursor.execute(SQLITE_UPSERTS[len(chunk)], args)


class SqlTallyRepository:
    """The tallies inside a unit of work (the port `TallyRepository`)."""

    def __init__(self, session: UnitSession) -> None:
        self.session = session

    def add(self, rows: Mapping[Key, tuple[int, int]]) -> None:
        upsert(self.session.connection(), rows)

    def counts(self, recognition_id: int) -> bool:
        conn = self.session.connection()
        state = _locked_state(conn)
        if state is None:
            return True  # no build yet: its start clears the table and skips what is taken back
        return recognition_id > state.target_id or recognition_id <= state.through_id


def _locked_state(conn: Connection):
    """The build's row, with builds and take-backs serialised until this transaction ends."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("LOCK TABLE tally_builds IN SHARE ROW EXCLUSIVE MODE"))
    return conn.execute(select(B).where(B.c.id == BUILD_ID)).first()


def is_built(conn: Connection, timezone: str) -> bool:
    """Whether the tallies hold every recognition, cut in `timezone` (else read the history)."""
    row = conn.execute(select(B.c.timezone, B.c.finished_at).where(B.c.id == BUILD_ID)).first()
    return row is not None and row.finished_at is not None and row.timezone == timezone


def _start(conn: Connection, timezone: str) -> None:
    """Clear the tallies and mark a new build up to the newest recognition, in one transaction.

    On PostgreSQL TRUNCATE's lock waits for every transaction holding any lock on the table to
    end: a give that already wrote rows (so the newest id read next includes it: its live rows go
    and the build counts it) and also any open reader of the tallies (a report, `ledger verify`'s
    snapshot). Gives queue behind the waiting TRUNCATE, so it waits at most LOCK_TIMEOUT (the
    caller retries); once held it holds off every other give until the mark is committed (they
    get higher ids). It is instant where a DELETE of millions of rows would hold gives for seconds."""
    conn.execute(delete(B))
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
        conn.execute(text("TRUNCATE recognition_tallies"))
        conn.execute(text("SET LOCAL lock_timeout = 0"))
    else:
        conn.execute(delete(T))
    target = conn.execute(select(func.coalesce(func.max(RecognitionRow.id), 0))).scalar_one()
    conn.execute(
        insert(B).values(
            id=BUILD_ID,
            timezone=timezone,
            target_id=target,
            through_id=0,
            started_at=datetime.now(UTC),
            finished_at=datetime.now(UTC) if target == 0 else None,
        )
    )


def build(engine: Engine, timezone: str, progress: Progress | None = None, *, batch: int = BATCH) -> int:
    """Count the history into the tallies, resumably: each batch commits with its progress.

    Starts a build if none was started (or the one started cut units in another zone); returns
    how many recognitions this call counted. Run it after the code that keeps tallies is
    serving: recognitions given by older code after the start are not counted."""
    with engine.connect() as conn:
        if is_built(conn, timezone):  # every start and upgrade asks: answer without a lock
            return 0
    _start_with_retries(engine, timezone, force=False)
    with engine.connect() as conn:
        state = conn.execute(select(B).where(B.c.id == BUILD_ID)).one()
        total = _count(conn, 0, state.target_id)
        done = _count(conn, 0, state.through_id)
    counted = 0
    while True:
        with engine.begin() as conn:
            state = _locked_state(conn)
            if state is None or state.timezone != timezone:
                raise RuntimeError("the tally build was restarted meanwhile; run it again")
            if state.through_id >= state.target_id:
                if state.finished_at is None:
                    conn.execute(update(B).values(finished_at=datetime.now(UTC)))
                break
            upper = min(state.through_id + batch, state.target_id)
            totals, n = history_totals(conn, state.through_id, upper, timezone)
            load(conn, totals)
            finished = datetime.now(UTC) if upper >= state.target_id else None
            conn.execute(update(B).values(through_id=upper, finished_at=finished))
        counted += n
        done += n
        if progress is not None:
            share = 100 * done // total if total else 100
            progress(f"tallies: {done} of {total} recognitions ({share}%)")
    if counted:
        _refresh_statistics(engine)
    if progress is not None:
        progress(f"tallies: built; {counted} recognitions counted now, {total} in all")
    return counted


def _refresh_statistics(engine: Engine) -> None:
    # The planner's picture of a table that grew from nothing to millions of rows in minutes is
    # stale until the next (auto)analyze: the report at 1M read 1.5-2x slower without this. On
    # PostgreSQL the batches leave dead versions of the rows they added to again (weeks, years,
    # all) and no visibility map: VACUUM clears both (it runs outside a transaction).
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE) recognition_tallies"))
        return
    with engine.begin() as conn:
        conn.execute(text("PRAGMA analysis_limit = 1000"))  # samples: seconds, not minutes
        conn.execute(text("ANALYZE recognition_tallies"))


def rebuild(engine: Engine, timezone: str, progress: Progress | None = None, *, batch: int = BATCH) -> int:
    """Clear the tallies and their build mark in one transaction, then build them again."""
    _start_with_retries(engine, timezone, force=True)
    return build(engine, timezone, progress, batch=batch)


def _start_with_retries(engine: Engine, timezone: str, *, force: bool) -> None:
    """Start a build (always with `force`, else if none was started in `timezone`), retrying a
    start whose TRUNCATE timed out behind a reader; RuntimeError(BUSY) after the last pause."""
    for pause in (*START_PAUSES, None):
        try:
            with engine.begin() as conn:
                state = _locked_state(conn)
                if force or state is None or state.timezone != timezone:
                    _start(conn, timezone)
            return
        except OperationalError as e:
            if getattr(e.orig, "sqlstate", None) != "55P03":  # lock_not_available
                raise
            if pause is None:
                raise RuntimeError(BUSY) from e
            time.sleep(pause)


def _count(conn: Connection, after: int, through: int) -> int:
    return conn.execute(
        select(func.count()).where(RecognitionRow.id > after, RecognitionRow.id <= through)
    ).scalar_one()


def history_totals(conn: Connection, after: int, through: int, timezone: str) -> tuple[Totals, int]:
    """The tallies of the recognitions with ids in (after, through], reaction kudos taken back
    left out, summed in Python; and how many recognitions were read."""
    R, RR, RK = RecognitionRow.__table__, RecognitionRecipientRow.__table__, ReactionKudosRow.__table__
    in_range = (R.c.id > after) & (R.c.id <= through)
    recipients: dict[int, list[str]] = {}
    for rid, employee in conn.execute(
        select(RR.c.recognition_id, RR.c.employee_id).where(
            RR.c.recognition_id > after, RR.c.recognition_id <= through
        )
    ):
        recipients.setdefault(rid, []).append(employee)
    taken_back = set(
        conn.execute(
            select(RK.c.recognition_id).where(
                RK.c.recognition_id > after, RK.c.recognition_id <= through, RK.c.reversed_at.is_not(None)
            )
        ).scalars()
    )
    rows = conn.execute(
        select(R.c.id, R.c.giver_id, R.c.points_each, R.c.value, R.c.created_at).where(in_range)
    ).all()
    totals: Totals = {}
    units_of = units_cache(timezone)
    for rid, giver, each, value, created_at in rows:
        if rid in taken_back:
            continue
        accumulate(totals, units_of(created_at), giver, recipients.get(rid, []), each, value)
    return totals, len(rows)


def units_cache(timezone: str) -> Callable[[datetime], dict[str, date]]:
    """tally_units for one zone, remembered per local date (a batch spans few dates)."""
    zone = ZoneInfo(timezone)
    by_day: dict[date, dict[str, date]] = {}

    def units_of(moment: datetime) -> dict[str, date]:
        aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        day = aware.astimezone(zone).date()
        found = by_day.get(day)
        if found is None:
            found = by_day[day] = tally_units(aware, timezone)
        return found

    return units_of


def accumulate(
    totals: Totals,
    units: dict[str, date],
    giver: str,
    recipients: Iterable[str],
    each: int,
    value: str | None,
) -> None:
    """Add one counted recognition to `totals` (the rows of rewards.tallies.deltas, inlined)."""
    recipients = list(recipients)
    for recipient in recipients:
        add_received(totals, units, recipient, each, value)
    add_given(totals, units, giver, each * len(recipients), value)


def add_received(
    totals: Totals, units: dict[str, date], recipient: str, each: int, value: str | None
) -> None:
    """The `received` rows of one recipient of one recognition."""
    values = ("", value) if value else ("",)
    for grain in RECEIVED_GRAINS:
        for v in values if grain in RECEIVED_BY_VALUE else ("",):
            key = (grain, units[grain], RECEIVED, v, recipient)
            n, p = totals.get(key, (0, 0))
            totals[key] = (n + 1, p + each)


def add_given(totals: Totals, units: dict[str, date], giver: str, points: int, value: str | None) -> None:
    """The `given` rows of the giver of one recognition (`points`: to all its recipients)."""
    values = ("", value) if value else ("",)
    for grain in GIVEN_GRAINS:
        for v in values if grain in GIVEN_BY_VALUE else ("",):
            key = (grain, units[grain], GIVEN, v, giver)
            n, p = totals.get(key, (0, 0))
            totals[key] = (n + 1, p + points)
