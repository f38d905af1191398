"""Long texts people type: refused before anything moves with the limit named, or given and shown
within Slack's limits; "nothing was given" only when nothing was; unrenderable messages die at once."""

from __future__ import annotations

import json

import pytest

from bot.simulator.signed_requests import give_form_values
from rewards import errors
from rewards.model import CatalogItem
from rewards.services.catalog import add_item, update_item
from rewards.services.redemptions import decide_redemption, request_redemption
from storage.delivery.outbox_admin import outbox_status
from tests.factories import employee, fund_wallet
from tests.slack.helpers import allowance_of, wallet_of


def section_texts(blocks: list[dict]) -> list[str]:
    texts = [b["text"]["text"] for b in blocks if b.get("type") == "section"]
    texts += [e["text"] for b in blocks if b.get("type") == "context" for e in b["elements"]]
    return texts


def test_a_reason_longer_than_the_limit_is_refused_naming_it_and_nothing_moves(slack, store):
    reply = slack.command("UANA", "<@UBEN> 10 for " + "great work " * 500).json()
    assert reply["response_type"] == "ephemeral"
    assert "1,000" in reply["text"] and "nothing was given" not in reply["text"]
    assert wallet_of(store, "UBEN") == 0 and allowance_of(store, "UANA") == 100


def test_the_form_refuses_a_reason_too_long_next_to_the_field_and_caps_the_input(slack, store, fake):
    slack.command("UANA", "")
    view = fake.calls_to("views.open")[-1].args["view"]
    reason = next(b for b in view["blocks"] if b.get("block_id") == "reason")
    assert reason["element"]["max_length"] == 1000
    reply = slack.submit("UANA", "give_kudos", give_form_values(["UBEN"], "5", "x" * 1001)).json()
    assert reply["response_action"] == "errors" and "1,000" in reply["errors"]["reason"]
    assert wallet_of(store, "UBEN") == 0


def test_a_kudos_whose_text_outgrows_a_block_is_given_and_shown_shortened(slack, store, fake, deliver):
    reason = "<&>" * 333  # 999 characters typed, about 4,000 once escaped for Slack
    reply = slack.command("UANA", f"<@UBEN> <@UCY> 10 for {reason}").json()
    assert reply["response_type"] == "in_channel"
    assert all(len(text) <= 3000 for text in section_texts(reply["blocks"]))
    assert section_texts(reply["blocks"])[0].endswith("…")
    assert wallet_of(store, "UBEN") == 10 and wallet_of(store, "UCY") == 10
    assert deliver() == 1
    dms = fake.calls_to("chat.postMessage")
    assert {c.args["channel"] for c in dms} == {"UBEN", "UCY"}
    assert all(len(t) <= 3000 for c in dms for t in section_texts(c.args["blocks"]))


def test_a_kudos_given_but_not_shown_says_it_was_given(slack, store, monkeypatch):
    from bot.inbound.listeners import commands

    def broken(*args, **kwargs):
        raise ValueError("cannot build blocks")

    monkeypatch.setattr(commands, "kudos_blocks", broken)
    reply = slack.command("UANA", "<@UBEN> 10 for the demo").json()
    assert wallet_of(store, "UBEN") == 10
    assert "nothing was given" not in reply["text"] and "Given: 10 points" in reply["text"]


def test_a_failure_before_the_give_commits_says_nothing_was_given(slack, store, monkeypatch):
    from bot.inbound import giving

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(giving, "give_recognition", broken)
    reply = slack.command("UANA", "<@UBEN> 10 for the demo").json()
    assert "nothing was given" in reply["text"] and wallet_of(store, "UBEN") == 0


def test_an_outbox_message_that_cannot_be_rendered_is_a_dead_letter_at_once(store, deliver, fake):
    with store.uow() as uow:
        uow.events.publish("recognition.created", {"recognition_id": 1, "giver_id": "nobody"})
        uow.commit()
    assert deliver() == 0
    dead = outbox_status(store).dead
    assert [(d.topic, d.attempts) for d in dead] == [("recognition.created", 1)]
    assert "cannot render" in (dead[0].last_error or "")


def test_slack_refusing_the_blocks_is_a_dead_letter_at_once(slack, store, fake, deliver):
    slack.command("UANA", "<@UBEN> 10 for the demo")
    fake.fail_next("chat.postMessage", 200, body={"ok": False, "error": "invalid_blocks"})
    deliver()
    assert [d.attempts for d in outbox_status(store).dead] == [1]


def test_item_names_descriptions_and_decision_reasons_have_named_limits(store):
    with pytest.raises(errors.TextTooLong, match="200"):
        add_item(store.uow(), CatalogItem(id=0, name="n" * 201, points_cost=5), store.clock)
    item = add_item(store.uow(), CatalogItem(id=0, name="Mug", points_cost=5), store.clock)
    with pytest.raises(errors.TextTooLong, match="2,000"):
        update_item(store.uow(), item.id, {"description": "d" * 2001}, store.clock)
    trip = add_item(
        store.uow(), CatalogItem(id=0, name="Trip", points_cost=5, requires_approval=True), store.clock
    )
    boss = employee(store)
    ana = employee(store, manager_id=boss.id)
    fund_wallet(store, ana, 10)
    from rewards.policy import RedemptionPolicy

    asked = request_redemption(store.uow(), ana.id, trip.id, "k1", RedemptionPolicy(), store.clock)
    with pytest.raises(errors.TextTooLong, match="500"):
        decide_redemption(
            store.uow(), asked.id, "reject", "k2", store.clock, RedemptionPolicy(), boss.id, "r" * 501
        )


def test_the_reject_form_caps_its_reason_and_long_item_texts_fit_their_blocks(store):
    from bot.looks.blocks import reward_blocks
    from bot.looks.modals import notice_modal, reject_modal

    view = reject_modal(1, "C1", "1.1", "key")
    assert view["blocks"][0]["element"]["max_length"] == 500
    item = CatalogItem(id=1, name="&" * 200, points_cost=5, description="<" * 2000)
    assert all(len(t) <= 3000 for t in section_texts(reward_blocks([item])))
    assert len(notice_modal("A title much longer than Slack allows", "x")["title"]["text"]) <= 24
    assert json.dumps(reward_blocks([item]))  # builds without Slack's formation error
