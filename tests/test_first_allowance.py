"""A person's first giving allowance arrives with their record, whichever door they came through."""

from __future__ import annotations

import base64
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.simulator.fake_slack import FakeSlack
from bot.simulator.signed_requests import SlackDriver, flask_transport
from plaudit import cli
from plaudit.assembly import build_store, build_web_app
from rewards.policy import AllowancePolicy
from rewards.services.allowance import AllowanceTerms
from rewards.services.allowance_periods import roll_allowance_periods
from rewards.services.employees import upsert_employee
from storage.ledger.verify import verify_ledger
from storage.reads import activity
from storage.scheduling.unit_of_work import scheduler_reader, scheduler_uow
from storage.schema.core import TransactionRow
from tests.api.callers import Caller, new_caller
from tests.slack.helpers import PEOPLE, SECRET, allowance_of, make_settings, wallet_of

POINTS = 100  # the allowance make_settings configures
TERMS = AllowanceTerms(AllowancePolicy(points_per_period=POINTS))


@pytest.fixture
def fake():
    with FakeSlack() as fake:
        for user_id, name in PEOPLE.items():
            fake.add_user(user_id, name=name.title(), email=f"{name}@example.com")
        yield fake


@pytest.fixture
def web(store, fake):
    return build_web_app(make_settings(store, fake), store)


@pytest.fixture
def slack(web) -> SlackDriver:
    return SlackDriver(flask_transport(web.test_client()), SECRET)


@pytest.fixture
def hr(store, web) -> Caller:
    return new_caller(store, web.test_client())


def allowance_by_id(store, employee_id: str) -> int:
    return activity.balances(store, employee_id).allowance


def grants_of(store, employee_id: str) -> int:
    with store.reader() as uow:
        return uow.session.scalar(
            select(func.count())
            .select_from(TransactionRow)
            .where(
                TransactionRow.kind == "allowance.grant",
                TransactionRow.reference == f"employee:{employee_id}",
            )
        )


def employee_id_of(store, slack_id: str) -> str:
    with store.reader() as uow:
        found = uow.employees.get_by_slack_id(slack_id)
    assert found is not None
    return found.id


def run_allowance_job(store, clock=None, org_timezone: str = "UTC") -> int:
    """The hourly allowance job, as the scheduler runs it; returns how many people it rolled."""
    report = roll_allowance_periods(
        scheduler_uow(store),
        AllowancePolicy(points_per_period=POINTS),
        clock or store.clock,
        org_timezone,
        scheduler_reader(store),
    )
    assert report.failed == 0
    return report.rolled


def gives_at_once(store, slack, fake, hr_id: str) -> None:
    """Ana, created by HR, is met in Slack by email and gives from the allowance she already holds."""
    reply = slack.command("UANA", "<@UBEN> 30 for the onboarding guide")
    assert reply.status == 200
    assert reply.json()["response_type"] == "in_channel", reply.json()
    assert employee_id_of(store, "UANA") == hr_id  # linked by email, not a second record
    assert {c.args["user"] for c in fake.calls_to("users.info")} == {"UANA", "UBEN"}
    assert allowance_of(store, "UANA") == POINTS - 30 and wallet_of(store, "UBEN") == 30


def test_an_employee_created_over_put_can_give_kudos_at_once(store, web, slack, fake, hr):
    created = hr.put("/api/v1/employees/E-ANA", json={"email": "ana@example.com", "display_name": "Ana"})
    assert created.status_code == 201
    ana = created.get_json()["id"]
    assert allowance_by_id(store, ana) == POINTS  # before Slack has ever seen her
    gives_at_once(store, slack, fake, ana)
    assert hr.put("/api/v1/employees/E-ANA", json={"department": "Ops"}).status_code == 200
    assert run_allowance_job(store) == 0  # everyone already holds this period's allowance
    assert grants_of(store, ana) == 1 and allowance_of(store, "UANA") == POINTS - 30
    assert verify_ledger(store.engine) == []


def test_employees_created_in_bulk_can_give_kudos_at_once(store, web, slack, fake, hr):
    response = hr.post(
        "/api/v1/employees/bulk",
        json={
            "items": [
                {"external_id": "E-ANA", "email": "ana@example.com"},
                {"external_id": "E-CY", "email": "cy@example.com"},
                {"external_id": "E-GONE", "email": "gone@example.com", "status": "inactive"},
                {"external_id": "E-BAD", "manager_external_id": "M-404"},
            ]
        },
    )
    body = response.get_json()
    assert (body["created"], body["failed"]) == (3, 1), body
    ids = {item["external_id"]: item["id"] for item in body["items"]}
    assert allowance_by_id(store, ids["E-CY"]) == POINTS
    assert allowance_by_id(store, ids["E-GONE"]) == 0 and grants_of(store, ids["E-GONE"]) == 0
    gives_at_once(store, slack, fake, ids["E-ANA"])
    assert run_allowance_job(store) == 0
    assert [grants_of(store, ids[e]) for e in ("E-ANA", "E-CY")] == [1, 1]
    assert allowance_by_id(store, ids["E-CY"]) == POINTS
    assert verify_ledger(store.engine) == []


def test_employees_imported_from_csv_can_give_kudos_at_once(
    store, web, slack, fake, hr, db_url, keyring, blind_index, monkeypatch, tmp_path
):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("PLAUDIT_ENCRYPTION_KEYS", f"k1:{base64.b64encode(keyring.key('k1')).decode()}")
    monkeypatch.setenv("PLAUDIT_BLIND_INDEX_KEY", base64.b64encode(blind_index._key).decode())
    monkeypatch.setenv("PLAUDIT_ALLOWANCE_POINTS", str(POINTS))
    monkeypatch.setenv("PLAUDIT_ALLOWANCE_PERIOD", "monthly")
    monkeypatch.setenv("PLAUDIT_TIMEZONE", "UTC")
    opened = []

    def store_on_the_test_clock(settings):  # the command's own store, on the test's date
        opened.append(replace(build_store(settings), clock=store.clock))
        return opened[-1]

    monkeypatch.setattr("plaudit.commands.employees.build_store", store_on_the_test_clock)
    sheet = tmp_path / "people.csv"
    sheet.write_text("external_id,email,display_name\nE-ANA,ana@example.com,Ana\nE-CY,cy@example.com,Cy\n")
    assert cli.main(["employees", "import", str(sheet)]) == 0
    opened[0].close()
    ana = hr.get("/api/v1/employees/E-ANA").get_json()["id"]
    cy = hr.get("/api/v1/employees/E-CY").get_json()["id"]
    assert allowance_by_id(store, ana) == POINTS and allowance_by_id(store, cy) == POINTS
    gives_at_once(store, slack, fake, ana)
    assert run_allowance_job(store) == 0
    assert grants_of(store, ana) == 1 and grants_of(store, cy) == 1
    assert allowance_by_id(store, cy) == POINTS
    assert verify_ledger(store.engine) == []


def test_a_person_first_seen_in_slack_is_granted_once_as_before(store, slack, fake):
    reply = slack.command("UDEE", "<@UCY> 10 for the review")
    assert reply.json()["response_type"] == "in_channel", reply.json()
    dee, cy = employee_id_of(store, "UDEE"), employee_id_of(store, "UCY")
    assert allowance_of(store, "UDEE") == POINTS - 10 and allowance_of(store, "UCY") == POINTS
    assert run_allowance_job(store) == 0
    assert grants_of(store, dee) == 1 and grants_of(store, cy) == 1
    assert verify_ledger(store.engine) == []


def test_an_hr_record_without_allowance_gets_it_when_first_seen_in_slack(store, slack):
    ana, _ = upsert_employee(store.uow(), "E-ANA", {"email": "ana@example.com"}, store.clock)
    assert allowance_by_id(store, ana.id) == 0  # created before first allowances, or another way
    slack.command("UANA", "balance")
    slack.command("UANA", "balance")
    assert employee_id_of(store, "UANA") == ana.id and grants_of(store, ana.id) == 1
    assert allowance_by_id(store, ana.id) == POINTS
    assert run_allowance_job(store) == 0
    assert verify_ledger(store.engine) == []


def test_only_a_new_active_person_gets_a_first_allowance(store):
    old, _ = upsert_employee(store.uow(), "E-OLD", {}, store.clock)
    upsert_employee(store.uow(), "E-OLD", {"department": "Ops"}, store.clock, TERMS)
    gone, _ = upsert_employee(store.uow(), "E-GONE", {"status": "inactive"}, store.clock, TERMS)
    bot, _ = upsert_employee(store.uow(), "E-BOT", {"is_bot": True}, store.clock, TERMS)
    assert [grants_of(store, e.id) for e in (old, gone, bot)] == [0, 0, 0]
    assert run_allowance_job(store) == 1  # the job still grants the one who had none
    assert allowance_by_id(store, old.id) == POINTS


def test_the_first_allowance_is_for_the_period_on_the_organisations_calendar(store, clock):
    clock.set(datetime(2026, 3, 31, 18, 35, tzinfo=UTC))  # 00:05 on 1 April in Kolkata
    terms = AllowanceTerms(AllowancePolicy(points_per_period=POINTS), "Asia/Kolkata")
    ana, _ = upsert_employee(store.uow(), "E-ANA", {}, store.clock, terms)
    with store.reader() as uow:
        assert uow.ledger.find(f"allowance:{ana.id}:2026-04:grant") is not None
    assert run_allowance_job(store, org_timezone="Asia/Kolkata") == 0
    assert allowance_by_id(store, ana.id) == POINTS


def test_concurrent_syncs_of_one_new_employee_grant_once(store):
    start = threading.Barrier(8)

    def sync(n: int) -> bool:
        start.wait()
        _, created = upsert_employee(store.uow(), "E-NEW", {"department": f"team {n}"}, store.clock, TERMS)
        return created

    with ThreadPoolExecutor(8) as pool:
        created = list(pool.map(sync, range(8)))
    assert created.count(True) == 1
    with store.reader() as uow:
        person = uow.employees.get_by_external_id("E-NEW")
    assert person is not None and grants_of(store, person.id) == 1
    assert allowance_by_id(store, person.id) == POINTS
    assert verify_ledger(store.engine) == []
