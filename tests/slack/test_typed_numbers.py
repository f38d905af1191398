"""Numbers typed in Slack are bounded before they are read: too many digits is a clear refusal."""

from __future__ import annotations

import pytest

from bot.inbound.kudos_parser import ParseError, parse

HUGE = "9" * 4400  # past Python's int() digit limit


@pytest.mark.parametrize("text", [f"history {HUGE}", f"history +{HUGE}", "history 0000000000001"])
def test_a_history_page_with_too_many_digits_is_not_a_page(text):
    with pytest.raises(ParseError, match="is not a page"):
        parse(text)


@pytest.mark.parametrize("points", [HUGE, f"+{HUGE}", "1234567890"])
def test_points_with_too_many_digits_are_refused_as_too_large(points):
    with pytest.raises(ParseError, match="too large") as refused:
        parse(f"<@U1> {points} for the demo")
    assert len(str(refused.value)) < 120  # the digits are not echoed back in full


def test_numbers_in_range_still_read():
    assert parse("history 50").args == ["50"]
    assert parse("<@U1> +999999999 for the demo").points == 999999999


@pytest.mark.parametrize("text", [f"history {HUGE}", f"<@UBEN> {HUGE} for the demo", f"<@UBEN> -{HUGE}"])
def test_a_huge_number_typed_in_slack_gets_an_answer_not_a_server_error(slack, text):
    response = slack.command("UANA", text)
    assert response.status == 200
    assert "Traceback" not in response.body and response.json()["text"]
