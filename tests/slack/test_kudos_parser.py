"""The /kudos parser: every way of naming people, points, values and reasons, and every mistake."""

from __future__ import annotations

import pytest

from bot.inbound.kudos_parser import Give, OpenModal, ParseError, Subcommand, parse


def test_full_give_with_named_and_bare_mentions():
    assert parse("<@U123|ana> <@U456> 20 for shipping the release #ownership") == Give(
        ["U123", "U456"], [], 20, "shipping the release", "ownership"
    )


def test_plus_sign_points_word_and_comma_glued_mentions():
    assert parse("<@U1>,<@U2> +15 points for pairing") == Give(["U1", "U2"], [], 15, "pairing", None)


def test_mentions_joined_with_and():
    assert parse("<@U1> and <@U2> & <@U3> 5 for the launch") == Give(["U1", "U2", "U3"], [], 5, "the launch")
    assert parse("<@U1> and tea for all").reason == "and tea for all"


def test_amount_omitted_uses_default_and_for_is_optional():
    assert parse("<@U1> great demo") == Give(["U1"], [], None, "great demo", None)
    assert parse("<@U1> 5 great demo") == Give(["U1"], [], 5, "great demo", None)
    assert parse("<@U1> for the demo") == Give(["U1"], [], None, "the demo", None)


def test_user_groups_with_and_without_label():
    assert parse("<!subteam^S123|@team> <!subteam^S9> <@U1> 3 for launch") == Give(
        ["U1"], ["S123", "S9"], 3, "launch", None
    )


def test_value_anywhere_in_the_reason_and_case_kept_for_the_domain():
    assert parse("<@U1> 5 for #Teamwork on the migration").value == "Teamwork"
    assert parse("<@U1> 5 for #Teamwork on the migration").reason == "on the migration"


def test_repeated_mentions_count_once():
    assert parse("<@U1> <@U1|ana> 5 for x y z").user_ids == ["U1"]


def test_zero_is_passed_on_for_the_domain_to_refuse():
    assert parse("<@U1> 0 for nothing").points == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<@U1> -5 for taking", "negative"),
        ("<@U1> 2.5 for half", "fractional"),
        ("<@U1> .5 for half", "fractional"),
        ("<@U1> 10k for much", "not a number"),
        ("<@U1> 1e3 for much", "not a number"),
        ("<@U1> ten for help", "not a number"),
        ("thanks all", "Name at least one person"),
        ("@ana 10 for plain", "Name at least one person"),
        ("<@U1> 5 for #teamwork and #ownership", "one value"),
        ("leaderboard fortnight", "not a period"),
        ("redeem", "which reward"),
    ],
)
def test_mistakes_say_what_was_wrong(text, message):
    with pytest.raises(ParseError, match=message):
        parse(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("balance", Subcommand("balance")),
        ("HELP", Subcommand("help")),
        ("history", Subcommand("history")),
        ("rewards", Subcommand("rewards")),
        ("leaderboard", Subcommand("leaderboard")),
        ("leaderboard week #ownership", Subcommand("leaderboard", ["week", "#ownership"])),
        ("redeem Coffee mug", Subcommand("redeem", ["Coffee", "mug"])),
        ("", OpenModal()),
        ("   ", OpenModal()),
    ],
)
def test_subcommands_and_the_empty_command(text, expected):
    assert parse(text) == expected
