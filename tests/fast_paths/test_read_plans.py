"""Every read a person or an HR system waits for is served by an index: no plan scans history.

Each read in READS is called for real while a `before_cursor_execute` listener captures its
statements; each statement is then explained (EXPLAIN QUERY PLAN on SQLite; EXPLAIN (FORMAT JSON)
on PostgreSQL with sequential and bitmap scans off, so a read no index serves shows as a scan with
no `Index Cond`) and the test fails if a plan reads one of HISTORY_TABLES whole, or if the plans
do not use the indexes the read's `Plan` names. To guard a new read, add a line to READS.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection, Engine, event, text

from rewards.model import CatalogItem, Employee
from rewards.policy import RecognitionPolicy, RedemptionPolicy
from rewards.services.catalog import add_item
from rewards.services.recognition import GiveRecognition, give_recognition
from rewards.services.redemptions import request_redemption, waiting_for
from storage.delivery.dispatch import oldest_pending
from storage.reads import activity, catalog_and_approvals, leaderboard, listings, operations, reports
from storage.recognition import tallies
from storage.store import Store
from tests.factories import employee, fund_wallet, give_allowance
from tests.scim import scim_reads

HISTORY_TABLES = frozenset(
    {
        "recognitions",
        "recognition_recipients",
        "transactions",
        "postings",
        "outbox",
        "outbox_attempts",
        "reaction_kudos",
    }
)


@dataclass(frozen=True)
class World:
    ana: Employee  # gives, receives and redeems; in Support with ben
    ben: Employee
    cy: Employee  # in Sales, alone
    store: Store


@dataclass(frozen=True)
class Plan:
    """What a read's plans must show, on both databases."""

    uses: tuple[str, ...] = ()  # indexes its statements must use (a dropped one fails the test)
    # It walks a history table's primary key in id order up to its LIMIT (the listings' keyset
    # walk, reading rows until a page of them matches): that walk is not counted as a scan.
    keyset: bool = False
    # tables its statements must read through a range of their primary key (SQLite: "SEARCH t
    # USING PRIMARY KEY (...)"; PostgreSQL: t_pkey with an Index Cond): a key has no index name
    # shared by both databases
    keyed: tuple[str, ...] = ()


def uses(*indexes: str) -> Plan:
    return Plan(uses=indexes)


def keyed(*tables: str) -> Plan:
    return Plan(keyed=tables)


KEYSET = Plan(keyset=True)
NO_HISTORY = Plan()  # reads no history table (tallies, catalog, ...)


@pytest.fixture
def world(store) -> World:
    ana = employee(store, department="Support")
    ben = employee(store, department="Support", manager_id=ana.id)
    cy = employee(store, department="Sales")
    for person in (ana, ben, cy):
        give_allowance(store, person, 200)
    fund_wallet(store, ben, 500)
    for n in range(6):
        giver, to = (ana, [ben, cy]) if n % 2 else (ben, [ana])
        give_recognition(
            store.uow(),
            GiveRecognition(
                giver_id=giver.id,
                recipient_ids=[p.id for p in to],
                points=5,
                reason=f"thanks #{n}",
                value="teamwork" if n % 3 else None,
                idempotency_key=f"plans-{n}",
            ),
            RecognitionPolicy(),
            store.clock,
        )
    item = add_item(
        store.uow(), CatalogItem(id=0, name="Day off", points_cost=100, requires_approval=True), store.clock
    )
    request_redemption(store.uow(), ben.id, item.id, "plans-r1", RedemptionPolicy(), store.clock)
    tallies.build(store.engine, "UTC")  # as `plaudit db upgrade` does: reads then use the tallies
    return World(ana, ben, cy, store)


@contextmanager
def fewer_member_streams(n: int):
    """A department bigger than `n` people: the listing walks ids and checks each recognition."""
    kept = listings.MEMBER_STREAMS
    listings.MEMBER_STREAMS = n
    try:
        yield
    finally:
        listings.MEMBER_STREAMS = kept


def _big_department(w: World) -> object:
    with fewer_member_streams(1):
        return reports.recognitions_page(w.store, **_no_filter(department="Support"))


def _no_filter(**given) -> dict:
    return {"after_id": None, "since": None, "value": None, "department": None, "limit": 50} | given


def _transactions(**given) -> dict:
    return {
        "after_id": None,
        "employee_id": None,
        "kind": None,
        "since": None,
        "until": None,
        "limit": 50,
    } | given


def _day_ago(w: World):
    return w.store.clock.now() - timedelta(days=1)


def _leaderboard(window: str, value: str | None) -> Callable[[World], object]:
    return lambda w: leaderboard.leaderboard(w.store, window, value, at=w.store.clock.now(), timezone="UTC")


def _report(group_by: str) -> Callable[[World], object]:
    """Over a range with partial days at both edges, so both the tallies and the edges are read."""
    now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    return lambda w: reports.recognition_report(
        w.store, now - timedelta(days=40, hours=5), now + timedelta(hours=1), group_by, timezone="UTC"
    )


HOME = uses(  # App Home and `/kudos history`: received, given, redemptions, taken back
    "ix_recipient_employee",
    "ix_recognitions_giver_created",
    "ix_redemptions_employee_id_id",
    "ix_reaction_kudos_recognition",
)
BY_ACCOUNT = uses("ix_accounts_owner_id", "ix_postings_account_txn", "ix_postings_transaction_id")
# the tallies' key ranges (whole units), the recognitions of the partial days at the edges
REPORT = Plan(
    uses=("ix_recognitions_created_id", "ix_reaction_kudos_recognition"), keyed=("recognition_tallies",)
)


# (name, the read, its plan): each is called with the world built above; add a line to guard a new read.
READS: list[tuple[str, Callable[[World], object], Plan]] = [
    ("slack balance", lambda w: activity.balances(w.store, w.ana.id), NO_HISTORY),
    (
        "ledger history",
        lambda w: activity.history(w.store, w.ana.id, limit=3),
        uses("ix_accounts_owner_id", "ix_postings_account_txn"),
    ),
    ("slack history / App Home", lambda w: activity.activity_page(w.store, w.ana.id, size=3), HOME),
    ("slack history page 2", lambda w: activity.activity_page(w.store, w.ana.id, size=3, skip=3), HOME),
    (
        "App Home older",
        lambda w: activity.activity_page(
            w.store, w.ana.id, activity.activity_page(w.store, w.ana.id, size=2).next_cursor, size=2
        ),
        HOME,
    ),
    (
        "recent received",
        lambda w: activity.recent_recognitions(w.store, w.ana.id),
        uses("ix_recipient_employee"),
    ),
    (
        "recent given",
        lambda w: activity.recent_recognitions(w.store, w.ana.id, given=True),
        uses("ix_recognitions_giver_created"),
    ),
    ("catalog", lambda w: catalog_and_approvals.active_catalog(w.store), NO_HISTORY),
    (
        "reversed among",
        lambda w: catalog_and_approvals.reversed_among(w.store, [1, 2, 3]),
        uses("ix_reaction_kudos_recognition"),
    ),
    (
        "approvals",
        lambda w: waiting_for(w.store.reader(), w.ana.id, RedemptionPolicy()),
        uses("ix_employees_manager_id"),
    ),
    (
        "transactions",
        lambda w: listings.transactions_page(w.store, **_transactions()),
        Plan(uses=("ix_postings_transaction_id",), keyset=True),
    ),
    (
        "transactions after",
        lambda w: listings.transactions_page(w.store, **_transactions(after_id=2)),
        uses("ix_postings_transaction_id"),
    ),
    (
        "transactions by employee",
        lambda w: listings.transactions_page(w.store, **_transactions(employee_id=w.ana.id)),
        BY_ACCOUNT,
    ),
    (
        "transactions by kind",
        lambda w: listings.transactions_page(w.store, **_transactions(kind="recognition")),
        uses("ix_transactions_kind_id", "ix_postings_transaction_id"),
    ),
    (
        "transactions since",
        lambda w: listings.transactions_page(w.store, **_transactions(since=_day_ago(w))),
        uses("ix_transactions_created_id", "ix_postings_transaction_id"),
    ),
    (
        "transactions until",
        lambda w: listings.transactions_page(w.store, **_transactions(until=_day_ago(w))),
        KEYSET,
    ),
    (
        "transactions in a window",
        lambda w: listings.transactions_page(
            w.store, **_transactions(since=_day_ago(w), until=w.store.clock.now())
        ),
        uses("ix_transactions_created_id"),
    ),
    (
        "transactions by employee, kind and date",
        lambda w: listings.transactions_page(
            w.store, **_transactions(employee_id=w.ben.id, kind="recognition", since=_day_ago(w), after_id=1)
        ),
        BY_ACCOUNT,
    ),
    ("recognitions", lambda w: reports.recognitions_page(w.store, **_no_filter()), KEYSET),
    (
        "recognitions since",
        lambda w: reports.recognitions_page(w.store, **_no_filter(since=_day_ago(w), after_id=1)),
        Plan(),  # the cursor's id range on the primary key: no other index to name
    ),
    (
        "recognitions by value",
        lambda w: reports.recognitions_page(w.store, **_no_filter(value="teamwork")),
        uses("ix_recognitions_value_id"),
    ),
    (
        "recognitions by value since",
        lambda w: reports.recognitions_page(w.store, **_no_filter(value="teamwork", since=_day_ago(w))),
        uses("ix_recognitions_value_id", "ix_recognitions_created_id"),
    ),
    (
        "recognitions by small department",
        lambda w: reports.recognitions_page(w.store, **_no_filter(department="Sales")),
        uses("ix_employees_department", "ix_recipient_employee"),
    ),
    ("recognitions by big department", _big_department, Plan(uses=("ix_employees_department",), keyset=True)),
    (
        "redemptions by state",
        lambda w: listings.redemptions_page(
            w.store, after_id=None, state="requested", employee_id=None, limit=50
        ),
        uses("ix_redemptions_state_id"),
    ),
    (
        "redemptions by employee",
        lambda w: listings.redemptions_page(w.store, after_id=1, state=None, employee_id=w.ben.id, limit=50),
        uses("ix_redemptions_employee_id_id"),
    ),
    (
        "employees",
        lambda w: listings.employees_page(w.store, None, _day_ago(w), 50),
        uses("ix_employees_updated_at"),
    ),
    (
        "catalog listing",
        lambda w: listings.catalog_page(w.store, after_id=None, active=True, limit=50),
        NO_HISTORY,
    ),
    *[
        (
            f"leaderboard {window}{' ' + (value or '')}",
            _leaderboard(window, value),
            keyed("recognition_tallies"),
        )
        for window in ("week", "month", "quarter", "year", "all")  # what `/kudos leaderboard` offers
        for value in (None, "teamwork")
    ],
    *[
        (f"report by {group}", _report(group), REPORT)
        for group in ("department", "value", "giver", "recipient")
    ],
    (
        "metrics: program",
        lambda w: operations.program_figures(w.store),
        uses("ix_outbox_due", "ix_redemptions_state_id"),
    ),
    ("metrics: delivery", lambda w: operations.delivery_figures(w.store), uses("ix_outbox_attempts_failed")),
    ("readyz: oldest pending", lambda w: oldest_pending(w.store), uses("ix_outbox_due")),
    # SCIM /Users lists (scim-fix): a page of everyone served; an IdP's userName / externalId lookup.
    ("scim users page", lambda w: scim_reads.users_page(w.store), NO_HISTORY),
    (
        "scim userName eq",
        lambda w: scim_reads.users_where(w.store, "username", "ana@example.com"),
        uses("ix_employees_user_name_bidx", "ix_employees_email_bidx"),
    ),
    (
        "scim externalId eq",
        lambda w: scim_reads.users_where(w.store, "externalid", "00ujl29u0le5T6Aj10h7"),
        uses("ix_employees_directory_id_bidx"),
    ),
]


def captured(read: Callable[[], object]) -> list[tuple[str, object]]:
    """The SELECT statements `read` sends to the database, with their parameters."""
    found: list[tuple[str, object]] = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        if not executemany and statement.lstrip().upper().startswith(("SELECT", "WITH")):
            found.append((statement, parameters))

    event.listen(Engine, "before_cursor_execute", listen)
    try:
        read()
    finally:
        event.remove(Engine, "before_cursor_execute", listen)
    return found


@dataclass(frozen=True)
class Step:
    """One table or index access in a plan."""

    text: str
    table: str | None  # the table read, if the step reads one
    index: str | None  # the index used, if any
    whole: bool  # reads the table (or the index) whole: no condition bounds it


# SQLite: a scan, or a search with no index to say (the primary key walked to a min or max).
SQLITE_SCAN = re.compile(r"^(?:SCAN (\w+)|SEARCH (\w+)$)")
SQLITE_TABLE = re.compile(r"^(?:SCAN|SEARCH) (\w+)")
SQLITE_INDEX = re.compile(r"USING (?:COVERING )?INDEX (\w+)")
_explained = itertools.count()


def plan(conn: Connection, statement: str, parameters) -> list[Step]:
    """The steps of the statement's plan, explained on `conn` (inside its transaction)."""
    if conn.dialect.name == "sqlite":
        # A fresh text each time: the driver caches prepared statements, and a cached EXPLAIN
        # keeps the plan it had before an index was dropped.
        explain = f"EXPLAIN QUERY PLAN /* {next(_explained)} */ {statement}"
        rows = conn.exec_driver_sql(explain, parameters).all()
        return [_sqlite_step(str(row[-1]).strip()) for row in rows]
    conn.execute(text("SET LOCAL enable_seqscan = off"))
    # Bitmap scans off too: on the tiny test tables they win over the index walk a LIMIT makes,
    # and a bitmap read of a whole index looks alike on a small table and a large one.
    conn.execute(text("SET LOCAL enable_bitmapscan = off"))
    explained = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters).scalar()
    document = json.loads(explained) if isinstance(explained, str) else explained
    return list(_postgres_steps(document[0]["Plan"]))


def _sqlite_step(line: str) -> Step:
    table = SQLITE_TABLE.match(line)
    index = SQLITE_INDEX.search(line)
    return Step(
        line,
        table.group(1) if table else None,
        index.group(1) if index else None,
        bool(SQLITE_SCAN.match(line)),
    )


def _postgres_steps(node: dict) -> Iterator[Step]:
    table, index = node.get("Relation Name"), node.get("Index Name")
    if table or index:
        bounded = "Index Cond" in node or "Recheck Cond" in node
        label = f"{node['Node Type']} on {table or ''} {('using ' + index) if index else ''}".strip()
        yield Step(label, table, index, not bounded)
    for child in node.get("Plans", []):
        yield from _postgres_steps(child)


def history_scans(statement: str, steps: list[Step], keyset: bool = False) -> list[str]:
    """The steps that read a history table whole.

    A read declared `keyset` may walk a history table's primary key in id order when the
    statement stops at its LIMIT (`ORDER BY <table>.id … LIMIT`): SQLite calls that `SCAN
    <table>`, PostgreSQL an index scan of the primary key with no `Index Cond`."""
    found = []
    for step in steps:
        if step.table not in HISTORY_TABLES or not step.whole:
            continue
        walk = keyset and re.search(rf"ORDER BY {step.table}\.id(?: DESC)?\s+LIMIT", statement)
        primary = step.index is None or step.index == f"{step.table}_pkey"
        if not (walk and primary and not step.text.startswith("Seq")):
            found.append(step.text)
    return found


def plan_problems(conn: Connection, statements: list[tuple[str, object]], expected: Plan) -> list[str]:
    """What is wrong with these statements' plans: history read whole, a named index unused."""
    problems, used, keyed_tables = [], set(), set()
    for statement, parameters in statements:
        steps = plan(conn, statement, parameters)
        used |= {step.index for step in steps if step.index}
        keyed_tables |= {step.table for step in steps if by_key(step)}
        problems += [f"{scan}  <- {statement}" for scan in history_scans(statement, steps, expected.keyset)]
    problems += [
        f"index {name} not used (plans used {sorted(used)})" for name in expected.uses if name not in used
    ]
    problems += [
        f"{table} not read by a range of its key" for table in expected.keyed if table not in keyed_tables
    ]
    return problems


def by_key(step: Step) -> bool:
    """The step reads a bounded range of its table's primary key."""
    if step.whole or step.table is None:
        return False
    return "USING PRIMARY KEY" in step.text or step.index == f"{step.table}_pkey"


def _reads() -> list[tuple[str, Callable[[World], object], Plan | None]]:
    return [(entry[0], entry[1], entry[2] if len(entry) > 2 else None) for entry in READS]


@pytest.mark.parametrize("name, read, expected", _reads(), ids=[entry[0] for entry in READS])
def test_the_read_scans_no_history_table(store, world, name, read, expected):
    assert expected is not None, f"{name}: say in READS which indexes its plans use (a Plan)"
    statements = captured(lambda: read(world))
    assert statements, f"{name} sent no statement to explain"
    with store.engine.connect() as conn, conn.begin() as txn:
        problems = plan_problems(conn, statements, expected)
        txn.rollback()
    assert problems == []


def test_the_check_finds_a_scan(store, world):
    """The guard can fail: a count of every recognition scans them, a walk in id order with a
    filter no index serves does not hide behind its LIMIT unless the read declares a keyset walk."""
    with store.engine.connect() as conn, conn.begin() as txn:
        for statement in (
            "SELECT count(*) FROM recognitions WHERE reason = 'x'",
            "SELECT id FROM transactions WHERE memo = 'x' ORDER BY transactions.id LIMIT 5",
        ):
            assert history_scans(statement, plan(conn, statement, ())), statement
        txn.rollback()


# Reads whose filter index, once dropped, must make the check fire twice over: the index is
# missing from the plan, and the plan falls back to a walk of the primary key, which a LIMIT used
# to excuse.
# (Redemptions are not history: losing their index is caught by the name alone.)
DROPPED = ["transactions by kind", "recognitions by value", "metrics: delivery", "redemptions by state"]


@pytest.mark.parametrize("name", DROPPED)
def test_the_check_fires_when_a_read_loses_its_index(store, world, name):
    """Drop the indexes a read names (in a transaction rolled back after) and explain again."""
    read, expected = next((r, e) for n, r, e in _reads() if n == name)
    assert expected is not None and expected.uses, name
    statements = captured(lambda: read(world))
    with store.engine.connect() as conn, conn.begin() as txn:
        assert plan_problems(conn, statements, expected) == [], name
        for index in expected.uses:
            conn.execute(text(f"DROP INDEX {index}"))
        missing = plan_problems(conn, statements, expected)
        scans = plan_problems(conn, statements, Plan(keyset=expected.keyset))
        txn.rollback()
    assert {p.split()[1] for p in missing if p.startswith("index ")} == set(expected.uses), missing
    if name != "redemptions by state":
        assert scans, f"{name}: without its index the plan reads history whole, yet no scan was found"
