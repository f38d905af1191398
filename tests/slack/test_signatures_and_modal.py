"""Signed requests only; the give-kudos modal and the message shortcut through /slack/events."""

from __future__ import annotations

import json
import time

from sqlalchemy import func, select

from bot.simulator.signed_requests import give_form_values
from storage.ledger.verify import verify_ledger
from storage.schema.core import EmployeeRow, TransactionRow
from tests.slack.helpers import allowance_of, wallet_of


def _counts(store):
    with store.reader() as uow:
        return (
            uow.session.scalar(select(func.count()).select_from(EmployeeRow)),
            uow.session.scalar(select(func.count()).select_from(TransactionRow)),
        )


def test_forged_or_stale_requests_get_401_and_write_nothing(slack, fake, store):
    forged = slack.command("UANA", "<@UBEN> 10 for forging", forge=True)
    stale = slack.command("UANA", "<@UBEN> 10 for old news", timestamp=int(time.time()) - 600)
    event = slack.event(
        {
            "type": "reaction_added",
            "user": "UANA",
            "reaction": "clap",
            "item_user": "UBEN",
            "item": {"type": "message", "channel": "C1", "ts": "1.1"},
        },
        forge=True,
    )

    assert (forged.status, stale.status, event.status) == (401, 401, 401)
    assert _counts(store) == (0, 0)
    assert fake.calls_to("users.info") == []


def test_kudos_alone_opens_the_modal_and_its_errors_are_per_field(slack, fake, store, deliver):
    assert slack.command("UANA", "", channel="C0TEAM").status == 200
    opened = fake.calls_to("views.open")[0].args["view"]
    assert opened["callback_id"] == "give_kudos"
    meta = opened["private_metadata"]

    bad_points = slack.submit(
        "UANA", "give_kudos", give_form_values(["UBEN"], "2.5", "pairing"), private_metadata=meta
    ).json()
    no_reason = slack.submit(
        "UANA", "give_kudos", give_form_values(["UBEN"], "5", ""), private_metadata=meta
    ).json()
    myself = slack.submit(
        "UANA", "give_kudos", give_form_values(["UANA"], "5", "my work"), private_metadata=meta
    ).json()
    assert bad_points == {"response_action": "errors", "errors": {"points": bad_points["errors"]["points"]}}
    assert "whole number" in bad_points["errors"]["points"]
    assert "reason" in no_reason["errors"]
    assert "yourself" in myself["errors"]["recipients"]
    assert wallet_of(store, "UBEN") == 0

    done = slack.submit(
        "UANA",
        "give_kudos",
        give_form_values(["UBEN", "UCY"], "7", "the demo", "learning"),
        private_metadata=meta,
        view_id="VGIVE1",
    )
    assert done.status == 200 and done.json()["response_action"] == "update"
    confirmation = str(done.json()["view"])
    assert "Kudos given" in confirmation and "7 points" in confirmation and "<#C0TEAM>" in confirmation
    assert wallet_of(store, "UBEN") == 7 and allowance_of(store, "UANA") == 86
    deliver()
    posts = {c.args["channel"]: c.args["text"] for c in fake.calls_to("chat.postMessage")}
    assert "7 points" in posts["C0TEAM"] and "#learning" in posts["C0TEAM"]
    assert "UBEN" in posts and "UCY" in posts
    assert verify_ledger(store.engine) == []


def test_private_kudos_from_the_modal_is_not_posted_in_the_channel(slack, fake, store, deliver):
    meta = json.dumps({"channel": "C0TEAM"})
    slack.submit(
        "UANA",
        "give_kudos",
        give_form_values(["UBEN"], "5", "quiet help", visibility="private"),
        private_metadata=meta,
    )
    deliver()
    assert [c.args["channel"] for c in fake.calls_to("chat.postMessage")] == ["UBEN"]


def test_message_shortcut_prefills_author_and_link(slack, fake, store):
    reply = slack.message_shortcut(
        "UANA",
        "give_kudos_for_message",
        "C0TEAM",
        {"ts": "1700000000.000200", "user": "UBEN", "text": "fixed it"},
    )
    assert reply.status == 200
    assert fake.calls_to("chat.getPermalink")[0].args["message_ts"] == "1700000000.000200"
    view = fake.calls_to("views.open")[0].args["view"]
    recipients = next(b for b in view["blocks"] if b.get("block_id") == "recipients")
    assert recipients["element"]["initial_users"] == ["UBEN"]
    assert "p1700000000000200" in json.dumps(view)
    meta = json.loads(view["private_metadata"])
    assert meta["channel"] == "C0TEAM" and "p1700000000000200" in meta["link"]


def test_home_button_and_global_shortcut_open_the_form_and_public_kudos_go_to_the_celebration_channel(
    store, fake
):
    from slack_sdk import WebClient

    from bot.outbound.messages import all_renderers
    from bot.outbound.notifier import RenderContext, SlackNotifier
    from bot.simulator.signed_requests import SlackDriver, flask_transport
    from plaudit.assembly import build_web_app
    from scheduler.outbox import deliver_due
    from tests.slack.helpers import SECRET, make_settings

    settings = make_settings(store, fake, PLAUDIT_CELEBRATION_CHANNEL="C0KUDOS")
    web = build_web_app(settings, store)
    slack = SlackDriver(flask_transport(web.test_client()), SECRET)
    slack.press("UANA", "open_give_modal", "", view_id="VHOME")
    slack.interactive(
        {"type": "shortcut", "callback_id": "give_kudos", "user": {"id": "UANA"}, "trigger_id": "trig-global"}
    )
    views = [c.args["view"] for c in fake.calls_to("views.open")]
    assert [v["callback_id"] for v in views] == ["give_kudos", "give_kudos"]

    slack.submit(
        "UANA",
        "give_kudos",
        give_form_values(["UBEN"], "4", "onboarding me"),
        private_metadata=views[0]["private_metadata"],
    )
    context = RenderContext(store, settings.extra)
    notifier = SlackNotifier(WebClient(base_url=fake.url), context, all_renderers())
    deliver_due(store, {"slack": notifier})
    assert {c.args["channel"] for c in fake.calls_to("chat.postMessage")} == {"UBEN", "C0KUDOS"}


def test_slack_url_verification_is_answered(slack):
    reply = slack.send_json({"type": "url_verification", "challenge": "ch4ll3nge", "token": "legacy"})
    assert reply.status == 200 and "ch4ll3nge" in reply.body


def test_without_slack_secrets_the_endpoint_is_not_mounted(store):
    from plaudit.assembly import build_web_app
    from plaudit.settings import Settings

    web = build_web_app(Settings(database_url=str(store.engine.url)), store)
    assert web.test_client().post("/slack/events", data="x").status_code == 404
