"""/kudos through POST /slack/events: the public answer, the DMs, and every refusal."""

from __future__ import annotations

import pytest

from storage.ledger.verify import verify_ledger
from tests.slack.helpers import allowance_of, wallet_of


def test_give_answers_in_channel_and_dms_each_recipient(slack, fake, store, deliver):
    reply = slack.command("UANA", "<@UBEN|ben> <@UCY> +20 for shipping the release #ownership")

    assert reply.status == 200
    body = reply.json()
    assert body["response_type"] == "in_channel"
    assert "<@UANA>" in body["text"] and "<@UBEN>" in body["text"] and "<@UCY>" in body["text"]
    assert "20 points" in body["text"] and "#ownership" in body["text"]
    assert "shipping the release" in body["text"]
    assert wallet_of(store, "UBEN") == 20 and wallet_of(store, "UCY") == 20
    assert allowance_of(store, "UANA") == 60
    assert {c.args["user"] for c in fake.calls_to("users.info")} == {"UANA", "UBEN", "UCY"}

    assert deliver() >= 1
    dms = {c.args["channel"]: c.args["text"] for c in fake.calls_to("chat.postMessage")}
    assert set(dms) == {"UBEN", "UCY"}
    assert "<@UANA> gave you *20 points* for shipping the release #ownership" in dms["UBEN"]
    assert verify_ledger(store.engine) == []


def test_default_points_and_user_group_without_the_giver(slack, fake, store):
    reply = slack.command("UANA", "<!subteam^SDESIGN|@design> great demo")

    assert reply.json()["response_type"] == "in_channel"
    assert fake.calls_to("usergroups.users.list")[0].args["usergroup"] == "SDESIGN"
    assert wallet_of(store, "UBEN") == 10 and wallet_of(store, "UCY") == 10
    assert wallet_of(store, "UANA") == 0


def test_the_same_trigger_id_gives_once(slack, store):
    first = slack.command("UANA", "<@UBEN> 5 for help", trigger_id="trig-1")
    again = slack.command("UANA", "<@UBEN> 5 for help", trigger_id="trig-1")
    assert first.json()["text"] == again.json()["text"]
    assert wallet_of(store, "UBEN") == 5


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("<@UANA> 10 for my own work", "yourself"),
        ("<@UBEN> 0 for nothing", "from 1"),
        ("<@UBEN> -5 for nothing", "negative"),
        ("<@UBEN> 2.5 for half", "fractional"),
        ("<@UBEN> ten for the help", "not a number"),
        ("<@UBEN> <@UCY> 30 for a lot", "points left to give"),
        ("<@UNOBODY> 10 for the help", "could not find"),
        ("<@UROBOT> 10 for beeping", "Bots cannot"),
        ("<@UBEN> 10", "Say what the kudos is for"),
        ("<@UBEN> 10 for help #synergy", "not one of our values"),
        ("<@UGUEST> 10 for visiting", "Guests cannot"),
        ("<@UGONE> 10 for the past", "no longer active"),
        ("thanks everyone", "Name at least one person"),
        ("@ben 10 for plain text", "Name at least one person"),
    ],
)
def test_each_bad_kudos_is_explained_privately_and_moves_nothing(slack, store, text, says):
    slack.command("UANA", "<@UDEE> 45 for warming up")  # Ana has 55 left

    reply = slack.command("UANA", text)

    body = reply.json()
    assert reply.status == 200
    assert body["response_type"] == "ephemeral"
    assert says in body["text"] and "Usage" in body["text"]
    assert allowance_of(store, "UANA") == 55
    assert wallet_of(store, "UBEN") == 0
    assert verify_ledger(store.engine) == []
