"""Slack after an erasure (the account stays closed) and approvals nobody may give themselves."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.simulator.signed_requests import SlackDriver, flask_transport
from plaudit.assembly import build_web_app
from rewards.model import CatalogItem, RedemptionState
from rewards.services.catalog import add_item
from rewards.services.employees import erase_employee, upsert_employee
from tests.factories import employee, fund_wallet
from tests.slack.helpers import SECRET, make_settings


def test_an_erased_slack_user_is_told_their_account_was_closed_and_is_not_met_again(slack, fake, store):
    ana = employee(store, slack_user_id="UANA", email="ana@example.com", display_name="Ana")
    employee(store, slack_user_id="UBEN")
    erase_employee(store.uow(), ana.id, store.clock)

    answer = slack.command("UANA", "balance").json()
    assert answer["response_type"] == "ephemeral"
    assert "Your Plaudit account was closed" in answer["text"]
    assert "closed" in slack.command("UANA", "<@UBEN> 10 for the demo").json()["text"]
    slack.event({"type": "app_home_opened", "user": "UANA", "tab": "home"})
    home = json.dumps(fake.calls_to("views.publish")[-1].args["view"])
    assert "Your Plaudit account was closed" in home
    refused = slack.command("UBEN", "<@UANA> 10 for the demo").json()["text"]
    assert "<@UANA> has no Plaudit account any more" in refused
    with store.reader() as uow:
        assert uow.employees.get_by_slack_id("UANA") is None
        assert uow.employees.get_by_email("ana@example.com") is None

    upsert_employee(store.uow(), "hr-ana-again", {"slack_user_id": "UANA"}, store.clock)  # re-admitted
    assert "points* to spend" in slack.command("UANA", "balance").json()["text"]


def test_an_hr_approver_gets_no_button_for_their_own_redemption_and_cannot_press_one(store, fake):
    web = build_web_app(make_settings(store, fake, PLAUDIT_SLACK_APPROVERS="UDEE,UCY"), store)
    slack = SlackDriver(flask_transport(web.test_client()), SECRET)
    dee = employee(store, slack_user_id="UDEE")
    employee(store, slack_user_id="UCY")
    fund_wallet(store, dee, 300)
    add_item(
        store.uow(), CatalogItem(id=0, name="Team trip", points_cost=200, requires_approval=True), store.clock
    )
    assert "approver will decide" in slack.command("UDEE", "redeem team trip").json()["text"]
    with store.reader() as uow:
        rid = uow.redemptions.in_state(
            RedemptionState.REQUESTED, before=store.clock.now() + timedelta(seconds=1)
        )[0].id

    slack.event({"type": "app_home_opened", "user": "UDEE", "tab": "home"})
    assert "redemption_approve" not in json.dumps(fake.calls_to("views.publish")[-1].args["view"])
    slack.press("UDEE", "redemption_approve", str(rid), view_id="VHOMEDEE")
    slack.press("UDEE", "redemption_reject", str(rid), channel="DDEE", message_ts="9.9")
    refusals = [
        c.args["text"] for c in fake.calls_to("chat.postMessage") + fake.calls_to("chat.postEphemeral")
    ]
    assert sum("their own redemption" in text for text in refusals) == 2
    with store.reader() as uow:
        assert uow.redemptions.get(rid).state == RedemptionState.REQUESTED

    slack.event({"type": "app_home_opened", "user": "UCY", "tab": "home"})
    assert "redemption_approve" in json.dumps(fake.calls_to("views.publish")[-1].args["view"])
