"""Who is who, through POST /slack/events: HR records linked by email, strangers created once."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.ledger.verify import verify_ledger
from storage.schema.core import EmployeeRow
from tests.factories import employee, fund_wallet
from tests.slack.helpers import wallet_of


def employees_count(store) -> int:
    with store.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(EmployeeRow))


def test_a_recipient_synced_from_hr_is_linked_by_email_not_duplicated(slack, fake, store):
    ben = employee(
        store, external_id="HR-BEN", slack_user_id=None, email="Ben@Example.com", department="Design"
    )
    fund_wallet(store, ben, 7)
    before = employees_count(store)

    reply = slack.command("UANA", "<@UBEN> 15 for the crisp mock-ups")

    assert reply.json()["response_type"] == "in_channel"
    with store.reader() as uow:
        linked = uow.employees.get_by_slack_id("UBEN")
    assert linked is not None and linked.id == ben.id  # the HR record, now linked
    assert linked.external_id == "HR-BEN" and linked.department == "Design"
    assert wallet_of(store, "UBEN") == 22  # the HR record's own wallet: 7 + 15
    assert employees_count(store) == before + 1  # only the giver, who had no HR record, is new
    assert [c.args["user"] for c in fake.calls_to("users.info")].count("UBEN") == 1


def test_a_user_unknown_to_hr_gets_a_minimal_record_once(slack, fake, store):
    slack.command("UANA", "<@UCY> 5 for the help")
    slack.command("UANA", "<@UCY> 5 for more help")

    with store.reader() as uow:
        cy = uow.employees.get_by_slack_id("UCY")
    assert cy is not None and cy.external_id is None  # no HR id until an HR sync names one
    assert cy.display_name == "Cy" and cy.email == "cy@example.com"
    assert employees_count(store) == 2  # Ana and Cy, each once
    assert wallet_of(store, "UCY") == 10
    assert verify_ledger(store.engine) == []


def test_bots_guests_and_deactivated_users_cannot_receive(slack, store):
    for target in ("UROBOT", "UGUEST", "UGONE"):
        reply = slack.command("UANA", f"<@{target}> 5 for trying")
        assert reply.json().get("response_type") != "in_channel", target
        assert wallet_of(store, target) == 0
    assert verify_ledger(store.engine) == []
