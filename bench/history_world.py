"""A scale world for bench/history.py: 10,000 employees and N recognitions written in bulk.

Employees, the catalog and redemptions go through the real services. Recognitions go in bulk
and write exactly the rows a give writes (rewards/services/recognition.py, reactions.py): the
recognition and its recipients, the `recognition` ledger transaction (key, fingerprint,
`recognition:<id>`, actor, memo) with its postings (allowance −, wallets +), the reaction kudos
log (a share taken back with its `recognition.reversal` transaction), and the monthly
`allowance.grant` transactions (rewards/services/allowance.py) that keep every allowance
non-negative at every moment. The cached balances are set to the postings' sums. Not written: the
outbox rows of `recognition.created` (delivered and purged after the retention period in a real
deployment; no read timed here looks at them).

Time span (`span_of`): by default the organisation is equally busy at every size, ≈913
recognitions a day (1M over three years), so a bigger N is a longer history: 10k covers the last
≈11 days, 100k the last ≈110, 1M three years, and a window of the last month holds the same
recognitions (and the same active people) at 100k and at 1M. With `spread` every N falls over
the same three years instead, so a bigger N is a busier organisation (≈91 a day at 100k) and
every window grows with N, as the issue's worst case does. Givers and recipients are skewed (a
few people give and receive much more), ids follow time as they do in production.
"""

from __future__ import annotations

import itertools
import random
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text

from rewards.model import CatalogItem
from rewards.periods import period_key
from rewards.policy import AllowancePolicy, RecognitionPolicy, RedemptionPolicy
from rewards.services.catalog import add_item
from rewards.services.employees import upsert_employee
from rewards.services.idempotency import fingerprint
from rewards.services.redemptions import request_redemption
from storage.store import Store

NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # a Friday afternoon: the week window is full
FULL_SPAN = timedelta(days=3 * 365)  # the history of the largest world, REFERENCE recognitions
REFERENCE = 1_000_000
EMPLOYEES = 10_000
DEPARTMENTS = ("Engineering", "Sales", "Support", "Marketing", "Finance", "People", "Operations", "Legal")
REASONS = (
    "thanks for the quick review",
    "great demo to the customer",
    "for untangling the release",
    "for covering my on-call shift",
    "for the clear onboarding notes",
    "for staying late to fix the outage",
)
EMOJI = ("clap", "tada", "raised_hands")
CHUNK = 50_000
MULTI_SHARE = 0.10  # gives to 2-4 people
REACTION_SHARE = 0.10  # emoji reaction kudos
REVERSED_SHARE = 0.15  # of the reactions, taken back within the undo window
PRIVATE_SHARE = 0.05
NO_VALUE_SHARE = 0.30
POINTS = (1, 2, 3, 5, 5, 10, 10, 20)


def span_of(recognitions: int, *, spread: bool = False) -> timedelta:
    """How far back the history of `recognitions` reaches: FULL_SPAN when spread, else as long as
    the reference world's density (REFERENCE over FULL_SPAN) takes to give them (exactly FULL_SPAN
    at REFERENCE, so the 1M world is the same either way)."""
    if spread:
        return FULL_SPAN
    return timedelta(microseconds=FULL_SPAN // timedelta(microseconds=1) * recognitions // REFERENCE)


def per_day(recognitions: int, *, spread: bool = False) -> float:
    """Recognitions a day in the world of `recognitions`."""
    return recognitions / (span_of(recognitions, spread=spread) / timedelta(days=1))


@dataclass
class World:
    """What the bench needs to know about the world it built, and what building it cost."""

    employee_ids: list[str]
    external_ids: dict[str, str]  # employee id -> HR id
    slack_ids: dict[str, str]  # employee id -> Slack user id
    departments: tuple[str, ...]
    values: tuple[str, ...]
    recognitions: int = 0
    rows: int = 0  # every row the bulk load wrote
    seconds: dict[str, float] = field(default_factory=dict)


def build_world(
    store: Store,
    recognitions: int,
    *,
    timezone: str = "UTC",
    policy: RecognitionPolicy | None = None,
    allowance: AllowancePolicy | None = None,
    seed: int = 11,
    spread: bool = False,
    say: Callable[[str], None] = print,
    phase: Callable[[str], AbstractContextManager[object]] = lambda step: nullcontext(),
) -> World:
    """Employees through the service, recognitions in bulk over `span_of(recognitions, spread=...)`
    before NOW, then redemptions through the service; `phase(step)` wraps each of the three steps
    (the bench's progress lines)."""
    policy = policy or RecognitionPolicy(timezone=timezone)
    allowance = allowance or AllowancePolicy()
    rng = random.Random(seed)
    began = time.perf_counter()
    with phase("build employees"):
        world = _employees(store)
    world.values = policy.values
    world.seconds["employees"] = time.perf_counter() - began
    say(f"world: {len(world.employee_ids):,} employees in {world.seconds['employees']:.1f} s")
    began = time.perf_counter()
    with phase("bulk load"):
        span = span_of(recognitions, spread=spread)
        world.recognitions, world.rows = _recognitions(
            store, world, recognitions, span, rng, timezone, policy, allowance
        )
    world.seconds["recognitions"] = time.perf_counter() - began
    took = world.seconds["recognitions"]
    say(
        f"world: {recognitions:,} recognitions, {world.rows:,} rows in {took:.1f} s"
        f" ({world.rows / took:,.0f} rows/s, {recognitions / took:,.0f} recognitions/s)"
    )
    began = time.perf_counter()
    with phase("redemptions"):
        count = _redemptions(store, world, rng, max(20, min(recognitions // 500, 2000)))
    world.seconds["redemptions"] = time.perf_counter() - began
    say(f"world: {count} redemptions through the service in {world.seconds['redemptions']:.1f} s")
    return world


def _employees(store: Store) -> World:
    """Every employee through the service, with their accounts (several at once on PostgreSQL)."""

    def one(i: int) -> str:
        employee, _ = upsert_employee(
            store.uow(),
            f"hr-{i:05d}",
            {
                "email": f"person{i}@example.com",
                "display_name": f"Person {i}",
                "slack_user_id": f"U{i:07d}",
                "department": DEPARTMENTS[i % len(DEPARTMENTS)],
            },
            store.clock,
        )
        return employee.id

    workers = 4 if store.engine.dialect.name == "postgresql" else 1  # SQLite has one writer
    with ThreadPoolExecutor(workers) as pool:
        ids = list(pool.map(one, range(EMPLOYEES)))
    external = {employee: f"hr-{i:05d}" for i, employee in enumerate(ids)}
    slack = {employee: f"U{i:07d}" for i, employee in enumerate(ids)}
    return World(ids, external, slack, DEPARTMENTS, ())


@dataclass
class _Loader:
    """Bulk rows into one table: the driver's executemany on SQLite, COPY on PostgreSQL."""

    conn: object
    postgres: bool
    written: int = 0

    def load(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        driver = self.conn.connection.driver_connection  # type: ignore[attr-defined]
        if self.postgres:
            with (
                driver.cursor() as cursor,
                cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(columns))
            driver.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
        self.written += len(rows)


def _sqlite_stamp(value: datetime | None) -> str | None:
    # As storage.schema.types.UTCDateTime stores it through SQLAlchemy on SQLite: naive UTC text
    # with six digits of microseconds (string comparison must agree with the services' rows).
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _as_is(value: datetime | None) -> datetime | None:
    return value


R_COLUMNS = ("id", "giver_id", "points_each", "value", "reason", "source", "private", "created_at")
RR_COLUMNS = ("recognition_id", "employee_id")
T_COLUMNS = ("id", "kind", "idempotency_key", "fingerprint", "reference", "actor", "memo", "created_at")
P_COLUMNS = ("transaction_id", "account_id", "amount")
K_COLUMNS = (
    "giver_id",
    "recipient_id",
    "message_ref",
    "recognition_id",
    "points",
    "created_at",
    "reversed_at",
)


@dataclass(slots=True)
class _Give:
    at: datetime
    giver: str
    recipients: list[str]
    points: int
    reaction: bool
    reversed_at: datetime | None = None


def _plan(
    n: int, span: timedelta, people: list[str], rng: random.Random, policy: RecognitionPolicy
) -> list[_Give]:
    """N gives in time order over `span` before NOW: skewed people, some to several recipients,
    some reactions."""
    weights = [1.0 / (rank + 10) ** 0.8 for rank in range(len(people))]
    order = people[:]
    rng.shuffle(order)
    cum = list(itertools.accumulate(weights))
    start = NOW - span
    seconds = span.total_seconds() - 3600  # the last give an hour before NOW
    moments = sorted(rng.random() * seconds for _ in range(n))
    givers = rng.choices(order, cum_weights=cum, k=n)
    firsts = rng.choices(order, cum_weights=cum, k=n)
    plan: list[_Give] = []
    for i in range(n):
        at = start + timedelta(seconds=moments[i])
        giver = givers[i]
        reaction = rng.random() < REACTION_SHARE
        count = 1 if reaction or rng.random() >= MULTI_SHARE else rng.randint(2, 4)
        chosen = [firsts[i]]
        while len(chosen) < count or giver in chosen:
            if giver in chosen:
                chosen.remove(giver)
            candidate = rng.choices(order, cum_weights=cum)[0]
            if candidate not in chosen:
                chosen.append(candidate)
        points = policy.reaction_points if reaction else rng.choice(POINTS)
        give = _Give(at, giver, chosen, points, reaction)
        if reaction and rng.random() < REVERSED_SHARE:
            gap = (moments[i + 1] - moments[i]) if i + 1 < n else 60.0
            give.reversed_at = at + timedelta(seconds=min(60.0, gap / 2))
        plan.append(give)
    return plan


def _recognitions(
    store: Store,
    world: World,
    n: int,
    span: timedelta,
    rng: random.Random,
    timezone: str,
    policy: RecognitionPolicy,
    allowance: AllowancePolicy,
) -> tuple[int, int]:
    plan = _plan(n, span, world.employee_ids, rng, policy)
    zone = ZoneInfo(timezone)
    postgres = store.engine.dialect.name == "postgresql"
    stamp = _as_is if postgres else _sqlite_stamp
    with store.engine.begin() as conn:
        accounts = _accounts(conn)
        next_rec = (conn.execute(text("SELECT coalesce(max(id), 0) FROM recognitions")).scalar() or 0) + 1
        next_txn = (conn.execute(text("SELECT coalesce(max(id), 0) FROM transactions")).scalar() or 0) + 1
    issuance = accounts["system:issuance"]
    # The allowance each giver spends per period, granted at the period's start (at least the
    # policy's points), so no allowance is ever negative.
    spent: dict[tuple[str, str], int] = defaultdict(int)
    period_of: list[str] = []
    for give in plan:
        key = period_key(give.at.astimezone(zone).date(), allowance.period)
        period_of.append(key)
        spent[(key, give.giver)] += give.points * len(give.recipients)
    grants_by_period: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for (key, giver), total in spent.items():
        grants_by_period[key].append((giver, max(allowance.points_per_period, -(-total // 50) * 50)))
    deltas: dict[int, int] = defaultdict(int)
    batch: dict[str, list[tuple]] = defaultdict(list)
    written = 0
    granted: set[str] = set()
    with store.engine.begin() as conn:
        loader = _Loader(conn, postgres)
        if not postgres:  # the indexes of millions of rows do not fit SQLite's default page cache
            cache = conn.exec_driver_sql("PRAGMA cache_size").scalar() or -2000
            conn.exec_driver_sql("PRAGMA cache_size = -262144")
        for index, give in enumerate(plan):
            period = period_of[index]
            if period not in granted:
                granted.add(period)
                starts = _period_start(give.at, zone, allowance)
                for giver, points in sorted(grants_by_period[period]):
                    account = accounts[f"{giver}:allowance"]
                    batch["transactions"].append(
                        (
                            next_txn,
                            "allowance.grant",
                            f"allowance:{giver}:{period}:grant",
                            fingerprint(employee=giver, points=points, period=period),
                            f"employee:{giver}",
                            None,
                            f"allowance for {period}",
                            stamp(starts),
                        )
                    )
                    batch["postings"] += [(next_txn, issuance, -points), (next_txn, account, points)]
                    deltas[account] += points
                    next_txn += 1
            rec_id = next_rec
            next_rec += 1
            next_txn = _one_give(batch, rec_id, next_txn, give, accounts, deltas, rng, world.values, stamp)
            if len(batch["postings"]) >= CHUNK:
                _flush(loader, batch)
        _flush(loader, batch)
        _set_balances(conn, deltas, postgres)
        if not postgres:  # the reads timed later run with the store's own settings
            conn.exec_driver_sql(f"PRAGMA cache_size = {int(cache)}")
        if postgres:
            for table in ("recognitions", "transactions", "postings", "reaction_kudos", "accounts"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                        f" (SELECT coalesce(max(id), 1) FROM {table}))"
                    )
                )
        written = loader.written + len(deltas)
    if postgres:
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    else:
        with store.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    return n, written


def _one_give(
    batch: dict[str, list[tuple]],
    rec_id: int,
    txn_id: int,
    give: _Give,
    accounts: dict[str, int],
    deltas: dict[int, int],
    rng: random.Random,
    values: tuple[str, ...],
    stamp: Callable[[datetime | None], object],
) -> int:
    """The rows one give (or one reaction, and its reversal) writes; returns the next transaction id."""
    allowance = accounts[f"{give.giver}:allowance"]
    wallets = [accounts[f"{r}:wallet"] for r in give.recipients]
    total = give.points * len(give.recipients)
    if give.reaction:
        emoji = rng.choice(EMOJI)
        ref = f"C{rng.randrange(200):04d}:{give.at.timestamp():.6f}:{emoji}"
        value, reason, source, private = None, emoji, "reaction", False
        key = f"slack-event:Ev{rec_id:010d}"
        digest = fingerprint(giver=give.giver, recipient=give.recipients[0], ref=ref)
        memo = "reaction recognition"
    else:
        value = None if rng.random() < NO_VALUE_SHARE else rng.choice(values)
        reason = f"{rng.choice(REASONS)} (#{rec_id})"
        source, private = "slack", rng.random() < PRIVATE_SHARE
        key = f"slack-command:{rec_id}.{rng.getrandbits(40):010x}"
        digest = fingerprint(
            giver=give.giver,
            recipients=sorted(give.recipients),
            points=give.points,
            reason=reason,
            value=value,
        )
        memo = f"{source} recognition"
    at, back = stamp(give.at), stamp(give.reversed_at)
    batch["recognitions"].append((rec_id, give.giver, give.points, value, reason, source, private, at))
    batch["recognition_recipients"] += [(rec_id, r) for r in give.recipients]
    batch["transactions"].append(
        (txn_id, "recognition", key, digest, f"recognition:{rec_id}", give.giver, memo, at)
    )
    batch["postings"].append((txn_id, allowance, -total))
    batch["postings"] += [(txn_id, w, give.points) for w in wallets]
    deltas[allowance] -= total
    for w in wallets:
        deltas[w] += give.points
    txn_id += 1
    if give.reaction:
        recipient = give.recipients[0]
        batch["reaction_kudos"].append((give.giver, recipient, ref, rec_id, give.points, at, back))
        if give.reversed_at is not None:
            batch["transactions"].append(
                (
                    txn_id,
                    "recognition.reversal",
                    f"slack-event:Ev{rec_id:010d}r",
                    fingerprint(giver=give.giver, ref=ref, action="reverse"),
                    f"recognition:{rec_id}",
                    give.giver,
                    "reaction removed",
                    back,
                )
            )
            batch["postings"] += [(txn_id, wallets[0], -give.points), (txn_id, allowance, give.points)]
            deltas[wallets[0]] -= give.points
            deltas[allowance] += give.points
            txn_id += 1
    return txn_id


TABLES = {
    "recognitions": R_COLUMNS,
    "recognition_recipients": RR_COLUMNS,
    "transactions": T_COLUMNS,
    "postings": P_COLUMNS,
    "reaction_kudos": K_COLUMNS,
}


def _flush(loader: _Loader, batch: dict[str, list[tuple]]) -> None:
    for table, columns in TABLES.items():  # parents before children (foreign keys)
        loader.load(table, columns, batch[table])
        batch[table] = []


def _period_start(at: datetime, zone: ZoneInfo, allowance: AllowancePolicy) -> datetime:
    from rewards.periods import period_start

    day = period_start(at.astimezone(zone).date(), allowance.period)
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def _accounts(conn) -> dict[str, int]:
    """Every account's id by code, with the issuance account opened as the ledger opens it."""
    conn.execute(
        text(
            "INSERT INTO accounts (code, kind, balance) SELECT 'system:issuance', 'issuance', 0"
            " WHERE NOT EXISTS (SELECT 1 FROM accounts WHERE code = 'system:issuance')"
        )
    )
    return {code: account_id for code, account_id in conn.execute(text("SELECT code, id FROM accounts"))}


def _set_balances(conn, deltas: dict[int, int], postgres: bool) -> None:
    """Cached balances: employee accounts only, as the ledger keeps them."""
    rows = [{"id": account, "delta": delta} for account, delta in deltas.items()]
    conn.execute(
        text("UPDATE accounts SET balance = balance + :delta WHERE id = :id AND owner_id IS NOT NULL"), rows
    )


def _redemptions(store: Store, world: World, rng: random.Random, count: int) -> int:
    """Redemptions through the real service: cheap ones paid at once, dear ones held for approval."""
    items = [
        add_item(
            store.uow(),
            CatalogItem(id=0, name=name, points_cost=cost, requires_approval=approve),
            store.clock,
        )
        for name, cost, approve in (
            ("Sticker pack", 20, False),
            ("Team lunch", 150, False),
            ("Headphones", 600, True),
            ("Extra day off", 1000, True),
        )
    ]
    for i in range(20):
        add_item(store.uow(), CatalogItem(id=0, name=f"Gift card {i}", points_cost=50 + 10 * i), store.clock)
    from storage.reads.activity import balances

    done = 0
    policy = RedemptionPolicy()
    people = world.employee_ids[:]
    rng.shuffle(people)
    for person in people:  # one pass: most wallets are empty in a small world
        if done >= count:
            break
        wallet = balances(store, person).wallet
        affordable = [item for item in items if item.points_cost <= wallet]
        if not affordable:
            continue
        item = rng.choice(affordable)
        request_redemption(store.uow(), person, item.id, f"bench-redeem:{done}", policy, store.clock)
        done += 1
    return done
