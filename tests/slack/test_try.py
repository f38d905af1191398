"""`plaudit try`: a newcomer without Slack gives kudos, redeems and approves, reading text."""

from __future__ import annotations

from bot.simulator.fake_slack import FakeSlack
from plaudit.commands.try_slack import TrySession


def shown(session: TrySession, line: str) -> str:
    return "\n".join(session.handle(line))


def button(session: TrySession, action_id: str, value: str | None = None) -> int:
    """The number printed beside the newest button with this action (and value)."""
    found = [
        n
        for n, b in enumerate(session.screen.buttons, 1)
        if b.action_id == action_id and value in (None, b.value)
    ]
    return found[-1]


def test_a_try_session_goes_from_kudos_to_an_approved_reward(tmp_path):
    with FakeSlack() as fake:
        session = TrySession(fake, f"sqlite:///{tmp_path / 'try.db'}", "ana")
        try:
            gave = shown(session, "/kudos @ben @cy 20 for the demo #teamwork")
            assert "@ana gave @ben and @cy *20 points* each for the demo #teamwork" in gave
            assert "DM to @ben:\n  @ana gave you *20 points* for the demo #teamwork" in gave
            assert "fractional" in shown(session, "/kudos @ben 2.5 for half")

            assert "[3] Redeem" in shown(session, "/kudos rewards")  # the third reward: Extra day off
            assert "Form opened: Redeem" in shown(session, f"press {button(session, 'redeem', '3')}")
            asked = shown(session, "submit")
            assert "DM to @ben:\n  @ana asks to redeem *Extra day off*" in asked

            session.handle("as ben")
            decided = shown(session, f"press {button(session, 'redemption_approve')}")
            assert "Approved by @ben" in decided and "DM to @ana" in decided

            session.handle("/kudos")
            assert "form error in points" in shown(session, "submit to=ana points=ten reason=tea")
            assert "DM to @ana" in shown(session, "submit to=ana points=3 reason=tea")
        finally:
            session.close()
