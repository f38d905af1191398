"""Emoji reactions: a point from the reactor's allowance to the author, once, reversible soon after."""

from __future__ import annotations

from storage.ledger.verify import verify_ledger
from tests.slack.helpers import allowance_of, wallet_of


def reaction(kind="reaction_added", user="UANA", author="UBEN", emoji="clap", ts="1700000000.000100"):
    return {
        "type": kind,
        "user": user,
        "reaction": emoji,
        "item_user": author,
        "item": {"type": "message", "channel": "C0TEAM", "ts": ts},
        "event_ts": "1700000001.0",
    }


def test_reaction_gives_a_point_once_even_when_redelivered(slack, store):
    first = slack.event(reaction(), event_id="Ev1")
    retry = slack.event(reaction(), event_id="Ev1", retry_num=1)
    assert (first.status, retry.status) == (200, 200)
    assert wallet_of(store, "UBEN") == 1 and allowance_of(store, "UANA") == 99
    assert verify_ledger(store.engine) == []


def test_other_emoji_self_and_bots_give_nothing(slack, store):
    slack.event(reaction(emoji="thumbsup"))
    slack.event(reaction(author="UANA"))
    slack.event(reaction(author="UROBOT"))
    assert wallet_of(store, "UANA") == 0 and wallet_of(store, "UROBOT") == 0
    assert allowance_of(store, "UANA") == 100


def test_daily_cap_on_reaction_points(slack, store):
    for n in range(12):
        slack.event(reaction(ts=f"1700000000.{n:06d}"))
    assert wallet_of(store, "UBEN") == 10  # RecognitionPolicy.reaction_daily_cap


def test_removing_soon_reverses_and_late_removal_does_not(slack, store, clock):
    slack.event(reaction(ts="1.1"))
    slack.event(reaction(kind="reaction_removed", ts="1.1"), event_id="EvRm1")
    slack.event(reaction(kind="reaction_removed", ts="1.1"), event_id="EvRm1", retry_num=1)
    assert wallet_of(store, "UBEN") == 0 and allowance_of(store, "UANA") == 100

    slack.event(reaction(ts="2.2"))
    clock.advance(minutes=30)
    slack.event(reaction(kind="reaction_removed", ts="2.2"))
    assert wallet_of(store, "UBEN") == 1
    assert verify_ledger(store.engine) == []


def test_a_reversed_reaction_leaves_the_leaderboard_and_home(slack, store, fake):
    slack.event(reaction(ts="3.3"))
    slack.event(reaction(kind="reaction_removed", ts="3.3"))
    slack.command("UCY", "<@UDEE> 5 for tea")

    board = slack.command("UANA", "leaderboard").json()["text"]
    assert "<@UDEE> — 5 points" in board and "<@UBEN>" not in board
    slack.event({"type": "app_home_opened", "user": "UANA", "tab": "home"})
    home = str(fake.calls_to("views.publish")[-1].args["view"])
    assert "reaction" not in home
