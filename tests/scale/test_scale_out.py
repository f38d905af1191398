"""Two app servers and two schedulers on one PostgreSQL database, under concurrent mixed load.

Every request is recorded with its ledger key and what the client saw; afterwards the database
must agree: accepted ⇒ in the ledger exactly once, refused ⇒ absent, the ledger verifies, the
outbox drains, and no allowance or milestone was granted twice. A second test kills one server
with SIGKILL mid-load and retries every request whose answer was lost on the survivor.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from storage.ledger.verify import verify_ledger
from tests.scale.checks import (
    allowance_grants_per_account,
    milestone_occurrences,
    misrecorded,
    outbox_by_status,
)
from tests.scale.cluster import wait_for
from tests.scale.load import Load, catalog_item, seed_people

# A client thread that dies would quietly thin the load: make it fail the test instead.
pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
PEOPLE = 16
SETTINGS = {
    "PLAUDIT_ALLOWANCE_POINTS": "300",
    "PLAUDIT_DAILY_CAP_PER_RECIPIENT": "100000",
    "PLAUDIT_SCHEDULER_OUTBOX_SECONDS": "0.5",
    "PLAUDIT_SCHEDULER_MILESTONE_SECONDS": "1",
    "PLAUDIT_SCHEDULER_ALLOWANCE_SECONDS": "1",
    "PLAUDIT_SCHEDULER_LEADER_POLL_SECONDS": "1",
    "PLAUDIT_OUTBOX_BACKOFF_SECONDS": "0.5",
}


RECENT = datetime.now(UTC).date() - timedelta(days=2)


def years_before_recent(years: int) -> str:
    """A date whose anniversary was two days ago: due now, inside the default 7-day window."""
    day = min(RECENT.day, 28) if RECENT.month == 2 else RECENT.day
    return date(RECENT.year - years, RECENT.month, day).isoformat()


def start(cluster_factory, fake, schedulers: int = 2):
    cluster = cluster_factory(**SETTINGS)
    servers = [cluster.server("app-a"), cluster.server("app-b")]
    cluster.wait_ready(servers)
    client_id, token = cluster.api_client(servers[0].port)
    people = seed_people(
        servers[0].port,
        token,
        PEOPLE,
        fake,
        hire_date=years_before_recent(3),
        birth_date=years_before_recent(30),
    )
    item = catalog_item(servers[1].port, token)
    for n in range(schedulers):
        cluster.scheduler(f"scheduler-{n}")
    load = Load([s.port for s in servers], token, client_id, people, item)
    return cluster, servers, load


def summary(outcomes) -> Counter:
    return Counter((o.kind, {True: "ok", False: "refused", None: "lost"}[o.accepted]) for o in outcomes)


def test_two_servers_and_two_schedulers_record_every_accepted_request_exactly_once(
    cluster_factory, fake, engine
):
    cluster, servers, load = start(cluster_factory, fake)

    outcomes = load.run(seconds=10, clients=6)

    for server in servers:
        server.stop()
    print(summary(outcomes), Counter(o.detail for o in outcomes if o.accepted is False))
    kinds = summary(outcomes)
    assert all(kinds[(kind, "ok")] > 0 for kind in ("kudos", "award", "redeem", "approve"))
    assert kinds[("kudos", "refused")] > 0  # at least the self-thanks
    assert [o for o in outcomes if o.accepted is None] == []  # healthy servers answer everything
    assert misrecorded(engine, outcomes) == []
    assert verify_ledger(engine) == []
    # Slack DMs drain at Slack's pace of about one message a second per conversation (bursts of
    # four), and ten seconds of load send a person dozens of them.
    assert wait_for(lambda: outbox_by_status(engine).get("pending", 0) == 0, 90, step=0.5)
    cluster.stop_all()
    assert set(outbox_by_status(engine)) == {"delivered"}
    grants = allowance_grants_per_account(engine)
    assert grants and max(grants.values()) == 1
    milestones = milestone_occurrences(engine)
    anniversaries = [k for k in milestones if k[2] == str(RECENT.year)]
    assert len(anniversaries) >= PEOPLE  # the schedulers ran the sweep …
    assert max(milestones.values()) == 1  # … and nothing was awarded twice


def test_killing_one_server_mid_load_loses_no_accepted_request(cluster_factory, fake, engine):
    cluster, (doomed, survivor), load = start(cluster_factory, fake, schedulers=1)

    def crash() -> None:
        doomed.kill()
        time.sleep(0.5)  # clients keep hitting the dead address until the balancer notices
        load.ports = [survivor.port]

    killer = threading.Timer(3.0, crash)
    killer.start()

    outcomes = load.run(seconds=7, clients=6)

    killer.join()
    lost = [o for o in outcomes if o.accepted is None]
    assert lost, "the kill should have cut some requests off"
    retried = [o.retry(survivor.port) for o in lost]
    print(summary(outcomes), summary(retried))
    assert [o for o in retried if o.accepted is None] == []  # each retry completes …
    settled = [o for o in outcomes if o.accepted is not None] + retried
    assert misrecorded(engine, settled) == []  # … exactly once, as does every answered request
    assert verify_ledger(engine) == []
