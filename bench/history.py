"""Scale benchmark: every read a person or an HR system waits for, at 10k, 100k and 1M recognitions.

Run: python -m bench.history [--sizes 10000,100000,1000000] [--postgres] [--skip-sqlite] [--repeat 7]
  [--spread] [--keep NAME | --reuse NAME | --drop NAME] [--skip-checks]
PostgreSQL from PLAUDIT_TEST_POSTGRES_URL (or PLAUDIT_BENCH_POSTGRES_URL); each size of each
database is built in a fresh database (bench/history_world.py), the tallies are built by
storage.recognition.tallies.build (on PostgreSQL then vacuumed, as autovacuum soon would),
`verify_ledger` and `check_tallies` must report nothing (--skip-checks: not run; at 1M they take
minutes), then each read is timed in process: one warm-up, then --repeat runs. Beside the wall
clock, a second table gives this process's CPU time per read (the machine may be shared; the
load averages are printed). Lines starting "phase" say as it goes how long each step took.

- --keep NAME: the worlds are kept (bench/history_kept.py says where) and recorded in
  /tmp/plaudit-bench-worlds/NAME.json. --reuse NAME: nothing is built; the kept worlds of these
  sizes get the newest migrations, the tally build (it resumes, finishes, or restarts if its zone
  changed; timed), then the timing. Each timing gives a few recognitions in the world (the give
  read). --drop NAME: remove the kept worlds of that name.
- Slack reads go through the real answers with a Bot (bot/inbound/answers.py, and App Home's
  whole view from bot/inbound/home.py `build`); the Slack Web API is never called (every
  employee has a Slack id, so the directory answers from the database).
- API reads go through the Flask app's test client with a real OAuth token (rate limit off).
- The world (bench/history_world.py): by default equally busy at every size (≈913 recognitions a
  day), so a bigger size is a longer history and the same activity, as the issue's "independent
  of the size of the history" means; --spread puts every size over the same three years (a busier
  organisation). Beside each read's growth 100k→1M, the table shows how many more recognitions
  its window holds at 1M than at 100k (`window 1M/100k`): an all-time or a year's read holds
  more by its nature in the default world (every windowed read does with --spread); "page" is a
  read bounded by its page or its person.
- The baseline in the same run: the leaderboard read from the history (storage.reads.activity,
  what it cost before the tallies) at the sizes up to --baseline-max, and one give through the
  service at each size (it must stay flat).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from urllib.parse import urlencode

from slack_sdk import WebClient
from sqlalchemy import create_engine, text

from bench import history_kept as kept
from bench.common import fresh_database, postgres_base_url
from bench.history_world import FULL_SPAN, NOW, REFERENCE, build_world, per_day, span_of
from bot.config import BotConfig
from bot.context import Bot
from bot.inbound import answers, home
from bot.inbound.identity import Directory
from plaudit.assembly import build_web_app
from plaudit.settings import Settings
from rewards.clock import FakeClock
from rewards.services.recognition import GiveRecognition, give_recognition
from storage.access import clients
from storage.database.engine import normalise_url
from storage.encryption.ciphers import BlindIndex, Keyring, generate_key
from storage.ledger.verify import verify_ledger
from storage.reads import leaderboard as boards
from storage.recognition import tallies
from storage.recognition.tally_check import check_tallies
from storage.schema import migrate
from storage.store import Store

WINDOWS = ("week", "month", "quarter", "year", "all")
SLACK_BUDGET_MS = 100.0
API_BUDGET_MS = 200.0
GROWTH_LIMIT = 1.5  # at most this much slower at 1M than at 100k
SLOW_SECONDS = 2.0
SLOW_REPEAT = 3
ALL_TIME = datetime(1970, 1, 1, tzinfo=UTC)  # a read's window: the whole history
FULL_SPAN_DAYS = FULL_SPAN / timedelta(days=1)  # a world recorded without its span was spread
Say = Callable[[str], None]


def say(line: str) -> None:
    print(line, flush=True)


class Timings:
    """Read name -> budget and the samples (ms) at each size."""

    def __init__(self) -> None:
        self.budget: dict[str, float | None] = {}
        self.samples: dict[str, dict[int, list[float]]] = {}
        # this process's CPU ms of each run: the work of an in-process read (SQLite: the database's
        # too) whatever else the machine is doing; on PostgreSQL the server's work is not in it
        self.cpu: dict[str, dict[int, list[float]]] = {}
        self.since: dict[str, datetime | None] = {}  # where each read's window starts (PAGE: none)

    def time(
        self,
        name: str,
        budget: float | None,
        size: int,
        read: Callable[[], object],
        repeat: int,
        since: datetime | None = None,
    ) -> None:
        """Time `read`; `since` is where its window of history starts (None: bounded by a page or
        a person, ALL_TIME: the whole history)."""
        began = time.perf_counter()
        read()  # warm-up
        if time.perf_counter() - began > SLOW_SECONDS:  # a read scanning a million rows: fewer runs
            repeat = min(repeat, SLOW_REPEAT)
        runs, cpu = [], []
        for _ in range(repeat):
            began, began_cpu = time.perf_counter(), time.process_time()
            read()
            runs.append((time.perf_counter() - began) * 1000)
            cpu.append((time.process_time() - began_cpu) * 1000)
        self.budget.setdefault(name, budget)
        self.since.setdefault(name, since)
        self.samples.setdefault(name, {})[size] = runs
        self.cpu.setdefault(name, {})[size] = cpu

    def median(self, name: str, size: int, *, cpu: bool = False) -> float | None:
        runs = (self.cpu if cpu else self.samples)[name].get(size)
        return statistics.median(runs) if runs else None

    def p95(self, name: str, size: int) -> float | None:
        runs = sorted(self.samples[name].get(size) or [])
        return runs[min(len(runs) - 1, int(0.95 * len(runs)))] if runs else None


class Phases:
    """The progress lines of one world: each step as it starts and ends, with elapsed seconds."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.began = time.perf_counter()

    @contextmanager
    def __call__(self, step: str) -> Iterator[None]:
        started = time.perf_counter()
        say(f"phase {self.label}: {step} ...")
        yield
        ended = time.perf_counter()
        say(
            f"phase {self.label}: {step} done in {ended - started:.1f} s"
            f" ({ended - self.began:.1f} s since this world's start)"
        )


@dataclass
class Facts:
    """What the timing needs to know about a world, built now or kept."""

    person: str  # the active person: most recognitions given and received
    person_hr: str  # their HR id (the API's employee_id)
    values: tuple[str, ...]
    departments: tuple[str, ...]
    employee_ids: list[str]


def open_store(url: str, keyring: str, blind_index: str) -> Store:
    return Store.open(url, Keyring.parse(keyring), BlindIndex.from_text(blind_index), FakeClock(NOW))


def settings_for(store: Store, timezone: str = "UTC", values: tuple[str, ...] | None = None) -> Settings:
    settings = Settings(
        database_url=str(store.engine.url),
        slack_bot_token="xoxb-bench",
        slack_signing_secret="bench-secret",
        slack_api_url="http://127.0.0.1:9/api/",  # never called: every employee has a Slack id
        timezone=timezone,
        extra={"PLAUDIT_API_RATE_LIMIT": "0"},
    )
    recognition = replace(
        settings.recognition, timezone=timezone, values=values or settings.recognition.values
    )
    return replace(settings, recognition=recognition)


def make_bot(store: Store, settings: Settings) -> Bot:
    client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    return Bot(
        store=store,
        settings=settings,
        config=BotConfig.from_mapping(settings.extra),
        client=client,
        directory=Directory(store, client, settings),
    )


def upgrade(url: str) -> list[str]:
    """`plaudit db upgrade`'s migrations on this database; the revisions it was missing."""
    engine = create_engine(normalise_url(url))
    try:
        pending = sorted(migrate.pending_revisions(engine))
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    return pending


def build_tallies(store: Store, timezone: str) -> tuple[float, str]:
    """A's real build of the tallies (storage.recognition.tallies): resumed, finished or restarted."""
    began = time.perf_counter()
    counted = tallies.build(store.engine, timezone, progress=lambda line: say("  " + line))
    took = time.perf_counter() - began
    with store.engine.connect() as conn:
        built = tallies.is_built(conn, timezone)
    if not built:
        raise SystemExit(f"the tally build ended but is_built({timezone!r}) is false")
    return took, f"tallies built in {took:.1f} s ({counted:,} recognitions counted by this run)"


def settle(store: Store) -> str:
    """PostgreSQL: VACUUM (ANALYZE) the tallies, as autovacuum soon does after a build upserted
    millions of row versions (the bench does not wait for it); nothing on SQLite."""
    if store.engine.dialect.name != "postgresql":
        return "no vacuum (SQLite)"
    began = time.perf_counter()
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        dead = conn.execute(
            text("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'recognition_tallies'")
        ).scalar()
        conn.execute(text("VACUUM (ANALYZE) recognition_tallies"))
    took = time.perf_counter() - began
    return f"VACUUM (ANALYZE) recognition_tallies ({dead or 0:,} dead row versions) in {took:.1f} s"


def run_checks(store: Store, timezone: str, label: str, phase: Phases) -> dict[str, float]:
    """check_tallies and verify_ledger, which must find nothing; their seconds."""
    with phase("checks: check_tallies"):
        began = time.perf_counter()
        found = check_tallies(store.engine)
        checked = time.perf_counter() - began
    note = (
        f"check_tallies: built={found.built}, zone {found.timezone}, {found.count} difference(s)"
        f" in {checked:.1f} s"
    )
    say(f"{label}: {note}")
    if not found.built or found.count or found.timezone != timezone:
        raise SystemExit(f"{note}: {found.differences[:5]}")
    with phase("checks: verify_ledger"):
        began = time.perf_counter()
        problems = verify_ledger(store.engine)
        verified = time.perf_counter() - began
    say(f"{label}: verify_ledger: {len(problems)} problem(s) in {verified:.1f} s {problems[:3] or ''}")
    if problems:
        raise SystemExit("the world breaks the ledger's invariants")
    return {"tally_check_s": round(checked, 1), "verify_s": round(verified, 1)}


def active_person(store: Store) -> str:
    """The employee with the most recognitions, given or received."""
    with store.engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT who FROM (SELECT giver_id AS who FROM recognitions UNION ALL"
                " SELECT employee_id FROM recognition_recipients) AS a"
                " GROUP BY who ORDER BY count(*) DESC LIMIT 1"
            )
        ).scalar_one()


def api_token(store: Store, http) -> dict[str, str]:
    from api.config import SCOPES

    client, secret = clients.create_client(store, "bench", list(SCOPES))
    response = http.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(client.id, secret))
    if response.status_code != 200:
        raise SystemExit(f"no token: {response.status_code} {response.get_data(as_text=True)}")
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def api_reads(facts: Facts) -> list[tuple[str, str, datetime | None]]:
    """(name, path, where its window starts or None for a page) of every API listing and report."""
    hr = facts.person_hr
    day = timedelta(days=1)
    quarter_start = datetime(NOW.year, 3 * ((NOW.month - 1) // 3) + 1, 1, tzinfo=UTC)

    def at(moment: datetime) -> str:
        return moment.isoformat()

    listings = [
        ("api employees", "/api/v1/employees"),
        ("api transactions employee", f"/api/v1/ledger/transactions?employee_id={hr}"),
        ("api transactions kind=recognition", "/api/v1/ledger/transactions?kind=recognition"),
        ("api transactions kind=reversal", "/api/v1/ledger/transactions?kind=recognition.reversal"),
        (
            "api transactions since 30d",
            "/api/v1/ledger/transactions?" + urlencode({"since": at(NOW - 30 * day)}),
        ),
        (
            "api transactions since/until 1d",
            "/api/v1/ledger/transactions?"
            + urlencode({"since": at(NOW - 31 * day), "until": at(NOW - 30 * day)}),
        ),
        ("api recognitions since 30d", "/api/v1/recognitions?" + urlencode({"since": at(NOW - 30 * day)})),
        ("api recognitions value", f"/api/v1/recognitions?value={facts.values[0]}"),
        ("api recognitions department", f"/api/v1/recognitions?department={facts.departments[1]}"),
        ("api redemptions state", "/api/v1/redemptions?state=requested"),
        ("api redemptions employee", f"/api/v1/redemptions?employee_id={hr}"),
        ("api catalog", "/api/v1/catalog/items"),
    ]
    reads: list[tuple[str, str, datetime | None]] = [(name, path, None) for name, path in listings]
    spans = {"30d": NOW - 30 * day, "quarter": quarter_start, "year": NOW - 365 * day}
    for span, since in spans.items():
        for group in ("department", "value", "giver", "recipient"):
            query = urlencode({"from": at(since), "to": at(NOW), "group_by": group})
            reads.append((f"api report {group} {span}", f"/api/v1/reports/recognition?{query}", since))
    return reads


def measure(backend: str, size: int, timings: Timings, args) -> dict[str, object]:
    """One world of `size` recognitions (built fresh, built and kept, or reused) and every read timed."""
    label = f"{backend} {size:,}"
    phase = Phases(label)
    if args.reuse:
        return reuse_world(backend, size, timings, args, phase)
    if args.keep:
        url = kept.create(backend, args.keep, size)
        say(f"{label}: keeping this world: {kept.where(backend, args.keep, size)}")
        with phase("migrations"):
            upgrade(url)
        return build_and_time(backend, size, url, timings, args, phase)
    with fresh_database(backend) as url:
        return build_and_time(backend, size, url, timings, args, phase)


def build_and_time(
    backend: str, size: int, url: str, timings: Timings, args, phase: Phases
) -> dict[str, object]:
    label = f"{backend} {size:,}"
    keyring, blind_index = f"k1:{generate_key()}", generate_key()
    store = open_store(url, keyring, blind_index)
    settings = settings_for(store)
    began = time.perf_counter()
    world = build_world(
        store,
        size,
        timezone=settings.timezone,
        policy=settings.recognition,
        spread=args.spread,
        say=say,
        phase=phase,
    )
    built = time.perf_counter() - began
    with phase("active person"):
        person = active_person(store)
    facts = Facts(person, world.external_ids[person], world.values, world.departments, world.employee_ids)
    figures: dict[str, object] = {
        "backend": backend,
        "size": size,
        "build_s": round(built, 1),
        "employees_s": round(world.seconds["employees"], 1),
        "bulk_s": round(world.seconds["recognitions"], 1),
        "bulk_rows": world.rows,
        "rows_per_s": round(world.rows / world.seconds["recognitions"]),
    }
    if args.keep:  # recorded before the tallies: a stopped build resumes at --reuse
        kept.record(
            args.keep,
            backend,
            size,
            {
                "where": kept.where(backend, args.keep, size),
                "url": _shown(url),
                "keyring": keyring,  # the bench's own keys: the rows are encrypted with them
                "blind_index": blind_index,
                "now": NOW.isoformat(),
                "span_days": span_of(size, spread=args.spread) / timedelta(days=1),
                "timezone": settings.timezone,
                "values": list(facts.values),
                "departments": list(facts.departments),
                "employees": len(facts.employee_ids),
                "person": facts.person,
                "person_hr": facts.person_hr,
                "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "build": dict(figures),
            },
        )
    with phase("tallies"):
        took, note = build_tallies(store, settings.timezone)
    say(f"{label}: {note}")
    with phase("vacuum"):
        say(f"{label}: {settle(store)}")
    figures["tallies_s"] = round(took, 1)
    if not args.skip_checks:
        figures.update(run_checks(store, settings.timezone, label, phase))
    if args.keep:
        kept.record(args.keep, backend, size, {"build": dict(figures)})
    time_reads(store, settings, facts, size, timings, args, phase)
    store.close()
    return figures


def reuse_world(backend: str, size: int, timings: Timings, args, phase: Phases) -> dict[str, object]:
    label = f"{backend} {size:,}"
    entry = kept.entries(args.reuse)[f"{backend}:{size}"]
    url = kept.url_of(backend, args.reuse, size)
    say(f"{label}: reusing {entry['where']} (built {entry['built_at']})")
    with phase("migrations"):
        began = time.perf_counter()
        pending = upgrade(url)
        migrated = time.perf_counter() - began
    say(f"{label}: migrations applied: {', '.join(pending) or 'none (the schema was current)'}")
    store = open_store(url, entry["keyring"], entry["blind_index"])
    settings = settings_for(store, entry["timezone"], tuple(entry["values"]))
    with store.engine.connect() as conn:
        ids = list(conn.execute(text("SELECT id FROM employees ORDER BY id")).scalars())
    facts = Facts(
        entry["person"], entry["person_hr"], tuple(entry["values"]), tuple(entry["departments"]), ids
    )
    with phase("tallies"):
        took, note = build_tallies(store, settings.timezone)
    say(f"{label}: {note}")
    with phase("vacuum"):
        say(f"{label}: {settle(store)}")
    figures: dict[str, object] = {
        "backend": backend,
        "size": size,
        "reused": args.reuse,
        "built": entry.get("build", {}),
        "migrate_s": round(migrated, 1),
        "migrations": pending,
        "tallies_s": round(took, 1),
    }
    if not args.skip_checks:
        figures.update(run_checks(store, settings.timezone, label, phase))
    time_reads(store, settings, facts, size, timings, args, phase)
    store.close()
    return figures


def time_reads(
    store: Store, settings: Settings, facts: Facts, size: int, timings: Timings, args, phase: Phases
) -> None:
    """Every read at this size, by group, and one give through the service."""
    person, r = facts.person, args.repeat
    say(f"{backend_of(store)} {size:,}: timing the reads, load averages {_load()}")
    bot = make_bot(store, settings)
    with store.reader() as uow:
        employee = uow.employees.get(person)
    assert employee is not None
    value = f"#{facts.values[0]}"
    with phase("reads: slack leaderboards"):
        for window in WINDOWS:
            since = answers._since(bot, window) or ALL_TIME
            board = partial(answers.leaderboard, bot, [window])
            timings.time(f"slack leaderboard {window}", SLACK_BUDGET_MS, size, board, r, since)
            board = partial(answers.leaderboard, bot, [window, value])
            timings.time(f"slack leaderboard {window} {value}", SLACK_BUDGET_MS, size, board, r, since)
    with phase("reads: slack balance, history, App Home"):
        timings.time("slack balance", SLACK_BUDGET_MS, size, partial(answers.balance_text, bot, person), r)
        timings.time("slack history", SLACK_BUDGET_MS, size, partial(answers.history_text, bot, person), r)
        timings.time(
            "slack App Home (whole view)", SLACK_BUDGET_MS, size, partial(home.build, bot, employee), r
        )
    if size <= args.baseline_max:  # before the tallies: the same boards read from the history
        with phase("reads: history leaderboards (baseline)"):
            for window, wanted in (("month", None), ("month", facts.values[0]), ("all", None)):
                old = partial(
                    boards.history_leaderboard, store, since=answers._since(bot, window), value=wanted
                )
                label = f"before: history leaderboard {window}" + (f" #{wanted}" if wanted else "")
                since = answers._since(bot, window) or ALL_TIME
                timings.time(label, SLACK_BUDGET_MS, size, old, r, since)
    # The API alone: Slack's routes are not timed here, and unmounted they start no link.
    web = build_web_app(replace(settings, slack_bot_token=None, slack_signing_secret=None), store)
    http = web.test_client()
    headers = api_token(store, http)
    reads = api_reads(facts)
    for group, chosen in (
        ("reads: api listings", [read for read in reads if not read[0].startswith("api report")]),
        ("reads: api reports", [read for read in reads if read[0].startswith("api report")]),
    ):
        with phase(group):
            for name, path, starts in chosen:

                def get(path=path):
                    response = http.get(path, headers=headers)
                    if response.status_code != 200:
                        raise SystemExit(
                            f"{path}: {response.status_code} {response.get_data(as_text=True)[:300]}"
                        )

                timings.time(name, API_BUDGET_MS, size, get, r, starts)
    others = [e for e in facts.employee_ids if e != person]
    count = iter(range(10**6))
    run = uuid.uuid4().hex[:8]  # a kept world is timed again: each run's gives need their own keys

    def give() -> None:
        n = next(count)
        give_recognition(
            store.uow(),
            GiveRecognition(
                giver_id=person,
                recipient_ids=[others[n % len(others)]],
                points=1,
                reason="thanks for the benchmark",
                idempotency_key=f"bench-give:{run}:{n}",
            ),
            settings.recognition,
            store.clock,
        )

    with phase("reads: give (service)"):
        timings.time("give (service, flat)", None, size, give, r)


def backend_of(store: Store) -> str:
    return "sqlite" if store.engine.dialect.name == "sqlite" else "postgres"


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(normalise_url(url)).render_as_string(hide_password=True)


def held(size: int, since: datetime, spread: bool) -> float:
    """Recognitions a window from `since` to NOW holds in the world of `size`."""
    start = max(since, NOW - span_of(size, spread=spread))
    return per_day(size, spread=spread) * max(0.0, (NOW - start) / timedelta(days=1))


def window_growth(since: datetime | None, spread: bool) -> float | None:
    """How many times more recognitions the read's window holds at 1M than at 100k (None: a page)."""
    if since is None:
        return None
    before = held(100_000, since, spread)
    return held(1_000_000, since, spread) / before if before else None


def print_results(backend: str, sizes: list[int], timings: Timings, builds: list[dict], spread: bool) -> None:
    """read | each size | growth 100k→1M | the window's data 1M/100k | budget | verdict."""
    labels = [f"{s // 1000}k" if s < 10**6 else f"{s // 10**6}M" for s in sizes]
    width = max(len(n) for n in timings.samples) + 2
    world = (
        "spread: every size over the same 3 years"
        if spread
        else f"fixed density: {per_day(REFERENCE):.0f} recognitions a day, "
        + ", ".join(
            f"{label} over {span_of(s) / timedelta(days=1):.0f} days"
            for label, s in zip(labels, sizes, strict=True)
        )
    )
    print(f"\n{backend}: median ms (p95 in brackets), {', '.join(labels)} recognitions, 10,000 employees")
    print(f"world: {world}")
    print(
        f"verdict: 'over' when the median at the largest size exceeds the budget ({SLACK_BUDGET_MS:.0f} ms"
        f" Slack, {API_BUDGET_MS:.0f} ms API); 'grows' when growth 100k→1M exceeds {GROWTH_LIMIT}x and the"
        " window holds no more at 1M; 'grows with its window' when it exceeds it and the window"
        " (column 'window') holds more recognitions at 1M than at 100k by its nature"
    )
    head = "read".ljust(width) + "".join(f"{label:>18}" for label in labels)
    print(head + f"{'100k→1M':>9}{'window':>8}{'budget':>8}  verdict")
    for name in timings.samples:
        cells = []
        for size in sizes:
            med, p95 = timings.median(name, size), timings.p95(name, size)
            cells.append(f"{med:8.1f} ({p95:6.1f})" if med is not None else f"{'-':>17}")
        growth = _growth(timings, name)
        window = window_growth(timings.since[name], spread)
        budget = timings.budget[name]
        top = next(
            (timings.median(name, s) for s in reversed(sizes) if timings.median(name, s) is not None), None
        )
        if budget is None:
            verdict = "flat" if growth is None or growth <= GROWTH_LIMIT else "grows"
        elif name.startswith("before:"):
            verdict = "baseline"
        elif top is not None and top > budget:
            verdict = "over"
        elif growth is not None and growth > GROWTH_LIMIT:
            verdict = "grows with its window" if window is not None and window > 1.01 else "grows"
        else:
            verdict = "ok"
        print(
            name.ljust(width)
            + "".join(f"{c:>18}" for c in cells)
            + (f"{growth:8.2f}x" if growth is not None else f"{'-':>9}")
            + (f"{window:7.1f}x" if window is not None else f"{'page' if budget else '-':>8}")
            + (f"{budget:8.0f}" if budget is not None else f"{'-':>8}")
            + f"  {verdict}"
        )
    print(f"\n{backend}: this process's CPU ms (median), beside the wall clock above (load: {_load()})")
    print("read".ljust(width) + "".join(f"{label:>10}" for label in labels) + f"{'100k→1M':>9}")
    for name in timings.samples:
        cpu = [timings.median(name, size, cpu=True) for size in sizes]
        growth = _growth(timings, name, cpu=True)
        print(
            name.ljust(width)
            + "".join(f"{c:10.1f}" if c is not None else f"{'-':>10}" for c in cpu)
            + (f"{growth:8.2f}x" if growth is not None else f"{'-':>9}")
        )
    for b in builds:
        checks = (
            f", tally check {b['tally_check_s']} s, verify_ledger {b['verify_s']} s"
            if "verify_s" in b
            else ", checks skipped"
        )
        if "reused" in b:
            print(
                f"reused {b['size']:,} (world {b['reused']!r}): migrations {b['migrate_s']} s"
                f" ({', '.join(b['migrations']) or 'none'}), tallies {b['tallies_s']} s{checks};"
                f" when built: {_built(b['built'])}"
            )
        else:
            print(f"build {b['size']:,}: {_built(b)}{checks}")


def _built(b: dict) -> str:
    if "build_s" not in b:
        return "not recorded"
    tallies = f", tallies {b['tallies_s']} s" if "tallies_s" in b else ""
    return (
        f"{b['build_s']} s (employees {b['employees_s']} s, bulk {b['bulk_s']} s,"
        f" {b['bulk_rows']:,} rows, {b['rows_per_s']:,} rows/s){tallies}"
    )


def _load() -> str:
    """The machine's load averages (1, 5, 15 minutes), or "unknown"."""
    try:
        return ", ".join(f"{n:.1f}" for n in os.getloadavg())
    except OSError:
        return "unknown"


def _growth(timings: Timings, name: str, *, cpu: bool = False) -> float | None:
    """Median at 1M over the median at 100k (the acceptance's growth), or None unless both ran."""
    before = timings.median(name, 100_000, cpu=cpu)
    after = timings.median(name, 1_000_000, cpu=cpu)
    if before is None or after is None or not before:
        return None
    return after / before


def missing_worlds(name: str, backends: list[str], sizes: list[int], spread: bool) -> list[str]:
    """What stops a --reuse: each world not recorded, not there, or built with another clock."""
    recorded = kept.entries(name)
    problems = []
    day = timedelta(days=1)
    for backend in backends:
        flags = ("" if backend == "sqlite" else " --postgres --skip-sqlite") + (" --spread" if spread else "")
        build = f"python -m bench.history --sizes {{}}{flags} --keep {name}"
        for size in sizes:
            entry = recorded.get(f"{backend}:{size}")
            if entry is None:
                why = f"not recorded in {kept.sidecar(name)}"
            elif not kept.exists(backend, name, size):
                why = f"{kept.where(backend, name, size)} is not there"
            elif entry.get("now") != NOW.isoformat():
                why = f"built with the clock at {entry.get('now')}, the bench's NOW is {NOW.isoformat()}"
            elif entry.get("span_days", FULL_SPAN_DAYS) != (wanted := span_of(size, spread=spread) / day):
                kind = "--spread" if spread else "the fixed density"
                spans = entry.get("span_days", FULL_SPAN_DAYS)
                why = f"its history spans {spans:g} days, {kind} wants {wanted:g}"
            else:
                continue
            problems.append(f"{backend} {size:,}: {why}; build it with: {build.format(size)}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--postgres", action="store_true", help="also PostgreSQL (PLAUDIT_TEST_POSTGRES_URL)")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--spread",
        action="store_true",
        help="every size over the same 3 years (default: same recognitions a day)",
    )
    parser.add_argument(
        "--baseline-max", type=int, default=100_000, help="time the history leaderboard up to this size"
    )
    worlds = parser.add_mutually_exclusive_group()
    worlds.add_argument("--keep", metavar="NAME", help="keep each world built (see bench/history_kept.py)")
    worlds.add_argument("--reuse", metavar="NAME", help="time the worlds kept under NAME; build nothing")
    worlds.add_argument("--drop", metavar="NAME", help="remove the worlds kept under NAME, and stop")
    parser.add_argument("--skip-checks", action="store_true", help="no check_tallies / verify_ledger")
    args = parser.parse_args(argv)
    for name in (args.keep, args.reuse, args.drop):
        if name is not None:
            kept.check_name(name)
    if args.drop:
        kept.drop(args.drop, say)
        return 0
    sizes = sorted({int(s) for s in args.sizes.split(",")})
    backends = ([] if args.skip_sqlite else ["sqlite"]) + (["postgres"] if args.postgres else [])
    if not backends:
        raise SystemExit("no database chosen: --skip-sqlite wants --postgres")
    if args.postgres and not postgres_base_url():
        raise SystemExit("set PLAUDIT_TEST_POSTGRES_URL to benchmark PostgreSQL")
    if args.keep:  # refuse before building anything
        there = [kept.where(b, args.keep, s) for b in backends for s in sizes if kept.exists(b, args.keep, s)]
        if there:
            raise SystemExit(f"kept already: {', '.join(there)}; choose another name or --drop {args.keep}")
    if args.reuse and (problems := missing_worlds(args.reuse, backends, sizes, args.spread)):
        raise SystemExit("cannot reuse:\n  " + "\n  ".join(problems))
    figures: dict[str, object] = {}
    for backend in backends:
        timings = Timings()
        builds = [measure(backend, size, timings, args) for size in sizes]
        print_results(backend, sizes, timings, builds, args.spread)
        figures[backend] = {
            "builds": builds,
            "reads_ms": {
                name: {
                    str(s): round(median, 2) for s in sizes if (median := timings.median(name, s)) is not None
                }
                for name in timings.samples
            },
            "cpu_ms": {
                name: {
                    str(s): round(median, 2)
                    for s in sizes
                    if (median := timings.median(name, s, cpu=True)) is not None
                }
                for name in timings.samples
            },
            "load": _load(),
        }
    world = "spread" if args.spread else "fixed-density"
    print(
        json.dumps(
            {"bench": "history", "world": world, "repeat": args.repeat, **figures}, separators=(",", ":")
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
