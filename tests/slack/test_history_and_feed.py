"""A history people can read, paged; public kudos in one configured feed from every door, and a
confirmation for every giver."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from slack_sdk import WebClient

from bot.outbound.messages import all_renderers
from bot.outbound.notifier import RenderContext, SlackNotifier
from bot.simulator.signed_requests import SlackDriver, flask_transport, give_form_values
from plaudit.assembly import build_web_app
from rewards.model import CatalogItem
from rewards.services.catalog import add_item
from scheduler.outbox import deliver_due
from storage.reads import activity
from tests.factories import employee, fund_wallet, give_allowance
from tests.slack.helpers import SECRET, make_settings


def test_history_reads_as_sentences_about_people_and_rewards(slack, store, fake, deliver):
    ben = employee(store, slack_user_id="UBEN")
    ana = employee(store, slack_user_id="UANA", manager_id=ben.id)
    fund_wallet(store, ana, 300)
    give_allowance(store, ana, 50)
    give_allowance(store, ben, 50)
    trip = add_item(store.uow(), CatalogItem(id=0, name="Extra day off", points_cost=200), store.clock)
    slack.command("UANA", "<@UBEN> 10 for the demo #teamwork")
    store.clock.advance(minutes=1)
    slack.command("UBEN", "<@UANA> 20 for the fix")
    store.clock.advance(minutes=1)
    slack.command("UANA", f"redeem {trip.id}")
    deliver()
    asked = next(e.redemption for e in activity.activity_page(store, ana.id).entries if e.redemption)
    slack.press("UBEN", "redemption_approve", str(asked.id), channel="DBEN", message_ts="1.1")

    text = slack.command("UANA", "history").json()["text"]
    lines = text.splitlines()[1:]
    assert "you redeemed Extra day off for 200 points — approved by <@UBEN>" in lines[0]
    assert "<@UBEN> thanked you 20 for the fix" in lines[1]
    assert "you thanked <@UBEN> 10 for the demo #teamwork" in lines[2]
    assert "wallet" not in text and "allowance" not in text


def test_history_pages_by_number_and_says_when_there_are_no_more(slack, store):
    for n in range(12):
        slack.command("UANA", f"<@UBEN> 1 for help number {n}")
        store.clock.advance(seconds=1)
    first = slack.command("UANA", "history").json()["text"]
    assert first.count("you thanked") == 10 and "help number 11" in first
    assert "`/kudos history 2`" in first
    second = slack.command("UANA", "history 2").json()["text"]
    assert second.count("you thanked") == 2 and "help number 0" in second and "history 3" not in second
    assert "fewer than 3 pages" in slack.command("UANA", "history 3").json()["text"]
    assert "not a page" in slack.command("UANA", "history soon").json()["text"]


def test_activity_pages_walk_every_entry_once_even_when_times_tie(store):
    ana, ben, cy = employee(store), employee(store), employee(store)
    give_allowance(store, ana, 50)
    give_allowance(store, cy, 50)
    from rewards.policy import RecognitionPolicy
    from rewards.services.recognition import GiveRecognition, give_recognition

    for n in range(7):  # the clock stands still: every entry has the same time
        give_recognition(
            store.uow(),
            GiveRecognition(ana.id, [ben.id], 1, f"gave {n}", f"g{n}"),
            RecognitionPolicy(),
            store.clock,
        )
        give_recognition(
            store.uow(),
            GiveRecognition(cy.id, [ana.id], 1, f"got {n}", f"r{n}"),
            RecognitionPolicy(),
            store.clock,
        )
    seen, cursor, pages = [], None, 0
    while True:
        page = activity.activity_page(store, ana.id, cursor, size=3)
        seen += [(e.kind, e.recognition.reason) for e in page.entries if e.recognition]
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert len(seen) == 14 and len(set(seen)) == 14 and pages == 5


def test_app_home_shows_the_history_with_older_and_newest_buttons(slack, store, fake):
    for n in range(12):
        slack.command("UANA", f"<@UBEN> 1 for help number {n}")
        store.clock.advance(seconds=1)
    slack.event({"type": "app_home_opened", "user": "UANA", "tab": "home"})
    home = fake.calls_to("views.publish")[-1].args["view"]
    assert "you thanked <@UBEN> 1 for help number 11" in json.dumps(home)
    older = next(b for b in home["blocks"] if b.get("block_id") == "history_paging")["elements"][0]
    slack.press("UANA", "history_older", older["value"])
    page_two = json.dumps(fake.calls_to("views.publish")[-1].args["view"])
    assert "help number 0" in page_two and "help number 11" not in page_two and "history_newest" in page_two


def feed_slack(store, fake):
    """The web app and an outbox delivery run, both with PLAUDIT_KUDOS_CHANNEL set."""
    settings = make_settings(store, fake, PLAUDIT_KUDOS_CHANNEL="C0FEED")
    web = build_web_app(settings, store)
    client = WebClient(token="xoxb-test", base_url=fake.url)
    notifier = SlackNotifier(client, RenderContext(store, settings.extra), all_renderers())
    deliver = lambda: deliver_due(store, {"slack": notifier})  # noqa: E731
    return SlackDriver(flask_transport(web.test_client()), SECRET), deliver


def public_posts(fake) -> list[str]:
    return [c.args["channel"] for c in fake.calls_to("chat.postMessage") if c.args["channel"].startswith("C")]


def test_the_kudos_channel_gets_every_public_kudos_from_every_door(store, fake):
    slack, deliver = feed_slack(store, fake)
    assert slack.command("UANA", "<@UBEN> 5 for the demo").json()["response_type"] == "in_channel"
    deliver()
    assert public_posts(fake) == ["C0FEED"]

    fake.reset_calls()
    meta = json.dumps({"channel": "C0TEAM", "link": "https://x.slack.com/archives/C0TEAM/p1"})
    done = slack.submit(
        "UANA", "give_kudos", give_form_values(["UBEN"], "5", "the shortcut"), private_metadata=meta
    ).json()
    assert "<#C0TEAM>" in json.dumps(done) and "<#C0FEED>" in json.dumps(done)
    deliver()
    assert sorted(public_posts(fake)) == ["C0FEED", "C0TEAM"]

    fake.reset_calls()
    home = slack.submit(
        "UANA", "give_kudos", give_form_values(["UBEN"], "5", "from home"), private_metadata=json.dumps({})
    ).json()
    assert home["response_action"] == "update" and "<#C0FEED>" in json.dumps(home)
    deliver()
    assert public_posts(fake) == ["C0FEED"]

    fake.reset_calls()
    private = slack.submit(
        "UANA",
        "give_kudos",
        give_form_values(["UBEN"], "5", "quietly", visibility="private"),
        private_metadata=meta,
    ).json()
    assert "only they are told" in json.dumps(private)
    deliver()
    assert public_posts(fake) == []


def test_without_a_kudos_channel_a_giver_from_home_is_told_only_the_recipient_hears(slack, store, fake):
    done = slack.submit(
        "UANA", "give_kudos", give_form_values(["UBEN"], "5", "from home"), private_metadata=json.dumps({})
    ).json()
    assert done["response_action"] == "update" and "no kudos channel" in json.dumps(done)


def test_the_manifest_asks_to_post_in_public_channels_it_was_not_invited_to():
    manifest = yaml.safe_load(Path("manifest.yml").read_text())
    assert "chat:write.public" in manifest["oauth_config"]["scopes"]["bot"]
