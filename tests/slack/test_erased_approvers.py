"""A configured Slack approver who was erased or is unknown stops nobody else's redemption or App Home."""

from __future__ import annotations

import json
import logging

from bot.simulator.signed_requests import SlackDriver, flask_transport
from plaudit.assembly import build_web_app
from rewards.model import CatalogItem, RedemptionState
from rewards.policy import RedemptionPolicy
from rewards.services.catalog import add_item
from rewards.services.employees import erase_employee
from rewards.services.redemptions import request_redemption
from tests.factories import employee, fund_wallet
from tests.slack.helpers import SECRET, make_settings


def test_an_erased_or_unknown_configured_approver_is_skipped_for_everyone_else(store, fake, caplog):
    caplog.set_level(logging.DEBUG)
    web = build_web_app(make_settings(store, fake, PLAUDIT_SLACK_APPROVERS="UDEE,UNOBODY,UCY"), store)
    slack = SlackDriver(flask_transport(web.test_client()), SECRET)
    dee = employee(store, slack_user_id="UDEE", email="dee-approver@example.com")
    employee(store, slack_user_id="UCY")
    ana = employee(store, slack_user_id="UANA")
    fund_wallet(store, ana, 300)
    add_item(
        store.uow(), CatalogItem(id=0, name="Team trip", points_cost=200, requires_approval=True), store.clock
    )
    erase_employee(store.uow(), dee.id, store.clock)

    answer = slack.command("UANA", "redeem team trip").json()["text"]
    assert "closed" not in answer and "approver will decide" in answer
    slack.event({"type": "app_home_opened", "user": "UCY", "tab": "home"})
    home = json.dumps(fake.calls_to("views.publish")[-1].args["view"])
    assert "was closed" not in home and "redemption_approve" in home
    slack.event({"type": "app_home_opened", "user": "UANA", "tab": "home"})
    assert "was closed" not in json.dumps(fake.calls_to("views.publish")[-1].args["view"])
    skipped = [r.getMessage() for r in caplog.records if r.name == "plaudit.slack.context"]
    assert skipped and all("approver was skipped" in line for line in skipped)
    logged = "\n".join(skipped)
    assert "UDEE" not in logged and "UNOBODY" not in logged and "dee-approver" not in logged


def test_a_slack_approval_button_on_an_erased_persons_redemption_is_refused(store, fake):
    web = build_web_app(make_settings(store, fake, PLAUDIT_SLACK_APPROVERS="UCY"), store)
    slack = SlackDriver(flask_transport(web.test_client()), SECRET)
    employee(store, slack_user_id="UCY")
    ana = employee(store, slack_user_id="UANA")
    fund_wallet(store, ana, 300)
    trip = add_item(
        store.uow(), CatalogItem(id=0, name="Trip", points_cost=200, requires_approval=True), store.clock
    )
    asked = request_redemption(store.uow(), ana.id, trip.id, "r-1", RedemptionPolicy(), store.clock)
    erase_employee(store.uow(), ana.id, store.clock)

    slack.press("UCY", "redemption_approve", str(asked.id), channel="DCY", message_ts="7.7")
    slack.press("UCY", "redemption_approve", str(asked.id), view_id="VHOMECY")

    texts = [c.args["text"] for c in fake.calls_to("chat.postEphemeral") + fake.calls_to("chat.postMessage")]
    assert sum("was erased" in text for text in texts) == 2
    with store.reader() as uow:
        assert uow.redemptions.get(asked.id).state == RedemptionState.CANCELLED
