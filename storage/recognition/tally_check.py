"""Checking the recognition tallies: every row against the history, and the all-time points each
person received against their wallet's postings in the ledger.

The history is read per slice of employees (a pass reads only their recipient rows and the
recognitions they gave, through indexes), so memory holds one slice's tallies, not the table.
Each pass is one short transaction (one snapshot of the slice's tallies and history, so gives
committing meanwhile never show as differences): no transaction spans the whole check, which on
PostgreSQL would hold off a rebuild's TRUNCATE (and the gives queued behind it) until the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, Row, func, select

from rewards.model import AccountKind
from rewards.tallies import ALL_STARTS, RECEIVED
from storage.database.engine import read_only
from storage.recognition.reactions import TAKEN_BACK
from storage.recognition.tallies import Totals, add_given, add_received, units_cache
from storage.schema.core import (
    AccountRow,
    EmployeeRow,
    PostingRow,
    RecognitionRecipientRow,
    RecognitionRow,
    TransactionRow,
)
from storage.schema.tallies import RecognitionTallyRow, TallyBuildRow

EMPLOYEES_PER_PASS = 1000
RECOGNITION_KINDS = ("recognition", "recognition.reversal")


@dataclass
class TallyCheck:
    """What `check_tallies` found: whether the build has finished, and the differences."""

    built: bool
    timezone: str | None = None
    differences: list[str] = field(default_factory=list)  # the first `limit`
    count: int = 0  # all of them

    def note(self, difference: str, limit: int) -> None:
        self.count += 1
        if len(self.differences) < limit:
            self.differences.append(difference)


def check_tallies(engine: Engine, limit: int = 20) -> TallyCheck:
    """Recompute every tally from the recognitions and compare, naming the first `limit`
    differences; then compare each person's all-time received points with the ledger. A build
    started while it runs ends the check: the tallies are then reported as not built."""
    ro = read_only(engine)
    if ro.dialect.name == "postgresql":
        ro = ro.execution_options(isolation_level="REPEATABLE READ")
    with ro.connect() as conn:
        with conn.begin():
            build = _build(conn)
            slices = list(_slices(conn)) if build is not None and build.finished_at is not None else []
        if build is None or build.finished_at is None:
            return TallyCheck(built=False, timezone=build.timezone if build else None)
        found = TallyCheck(built=True, timezone=build.timezone)
        for low, high in slices:
            with conn.begin():
                if _build(conn) != build:
                    return TallyCheck(built=False, timezone=build.timezone)
                _compare(found, _table(conn, low, high), _history(conn, low, high, build.timezone), limit)
        with conn.begin():
            if _build(conn) != build:
                return TallyCheck(built=False, timezone=build.timezone)
            _against_ledger(conn, found, limit)
        return found


def _build(conn: Connection) -> Row | None:
    """The build's mark (a new start changes it)."""
    return conn.execute(
        select(
            TallyBuildRow.timezone,
            TallyBuildRow.target_id,
            TallyBuildRow.started_at,
            TallyBuildRow.finished_at,
        )
    ).first()


def _slices(conn: Connection) -> Iterator[tuple[str, str]]:
    """Consecutive ranges of employee ids (inclusive) covering everyone in the tallies or history."""
    ids = sorted(
        set(conn.execute(select(EmployeeRow.id)).scalars())
        | set(conn.execute(select(RecognitionTallyRow.employee_id).distinct()).scalars())
    )
    for at in range(0, len(ids), EMPLOYEES_PER_PASS):
        chunk = ids[at : at + EMPLOYEES_PER_PASS]
        yield chunk[0], chunk[-1]


def _table(conn: Connection, low: str, high: str) -> Totals:
    T = RecognitionTallyRow
    rows = conn.execute(
        select(T.grain, T.starts, T.role, T.value, T.employee_id, T.recognitions, T.points).where(
            T.employee_id >= low, T.employee_id <= high
        )
    )
    return {(g, s, r, v, e): (int(n), int(p)) for g, s, r, v, e, n, p in rows}


def _history(conn: Connection, low: str, high: str, timezone: str) -> Totals:
    R, RR = RecognitionRow, RecognitionRecipientRow
    taken_back = TAKEN_BACK
    totals: Totals = {}
    units_of = units_cache(timezone)
    received = conn.execute(
        select(RR.employee_id, R.points_each, R.value, R.created_at)
        .join(R, R.id == RR.recognition_id)
        .where(RR.employee_id >= low, RR.employee_id <= high, R.id.not_in(taken_back))
    )
    for recipient, each, value, created_at in received:
        add_received(totals, units_of(created_at), recipient, each, value)
    recipients = select(func.count()).where(RR.recognition_id == R.id).correlate(R).scalar_subquery()
    given = conn.execute(
        select(R.giver_id, R.points_each, R.value, R.created_at, recipients).where(
            R.giver_id >= low, R.giver_id <= high, R.id.not_in(taken_back)
        )
    )
    for giver, each, value, created_at, n in given:
        add_given(totals, units_of(created_at), giver, each * n, value)
    return totals


def _compare(found: TallyCheck, table: Totals, history: Totals, limit: int) -> None:
    for key in sorted(table.keys() | history.keys()):
        says = table.get(key, (0, 0))
        truth = history.get(key, (0, 0))
        if says != truth:
            grain, starts, role, value, employee = key
            found.note(
                f"tally {role}/{grain} {starts.isoformat()} value '{value}' employee {employee}:"
                f" table says {says[1]} points/{says[0]} recognitions,"
                f" history says {truth[1]}/{truth[0]}",
                limit,
            )


def _against_ledger(conn: Connection, found: TallyCheck, limit: int) -> None:
    """Each person's `all` received points equal what recognitions (less their reversals) posted
    to their wallet."""
    T = RecognitionTallyRow
    tallied = dict(
        conn.execute(
            select(T.employee_id, T.points).where(
                T.grain == "all", T.starts == ALL_STARTS, T.role == RECEIVED, T.value == ""
            )
        ).all()
    )
    posted: dict[str | None, int | None] = dict(
        conn.execute(
            select(AccountRow.owner_id, func.sum(PostingRow.amount))
            .join(PostingRow, PostingRow.account_id == AccountRow.id)
            .join(TransactionRow, TransactionRow.id == PostingRow.transaction_id)
            .where(
                AccountRow.kind == AccountKind.WALLET.value,
                AccountRow.owner_id.is_not(None),
                TransactionRow.kind.in_(RECOGNITION_KINDS),
            )
            .group_by(AccountRow.owner_id)
        ).all()
    )
    for employee in sorted({*tallied, *(e for e in posted if e is not None)}):
        says, ledger = int(tallied.get(employee, 0)), int(posted.get(employee) or 0)
        if says != ledger:
            found.note(
                f"tally received/all employee {employee}: table says {says} points,"
                f" the ledger's recognitions to their wallet say {ledger}",
                limit,
            )
