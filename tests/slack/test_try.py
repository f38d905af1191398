"""`plaudit try`: a newcomer without Slack gives kudos, redeems and approves, reading text."""

from __future__ import annotations

from bot.fake_slack import FakeSlack
from plaudit.commands.try_slack import TrySession


def test_a_try_session_goes_from_kudos_to_an_approved_reward(tmp_path):
    with FakeSlack() as fake:
        session = TrySession(fake, f"sqlite:///{tmp_path / 'try.db'}", "ana")
        try:
            said = {line: "\n".join(session.handle(line)) for line in [
                "/kudos @ben @cy 20 for the demo #teamwork", "/kudos @ben 2.5 for half"]}
            assert "@ana gave @ben and @cy *20 points* each for the demo #teamwork" in said[
                "/kudos @ben @cy 20 for the demo #teamwork"]
            assert "DM to @ben" in said["/kudos @ben @cy 20 for the demo #teamwork"]
            assert "fractional" in said["/kudos @ben 2.5 for half"]

            rewards = "\n".join(session.handle("/kudos rewards"))
            day_off = next(line for line in rewards.splitlines()[rewards.splitlines().index(
                next(x for x in rewards.splitlines() if "Extra day off" in x)) + 1:] if "Redeem" in line)
            number = day_off.strip().split("]")[0].lstrip("[")
            assert "Form opened: Redeem" in "\n".join(session.handle(f"press {number}"))
            asked = "\n".join(session.handle("submit"))
            assert "DM to @ben" in asked and "[" in asked and "Approve" in asked
            approve = next(line for line in asked.splitlines() if "Approve" in line).strip()[1:].split("]")[0]

            session.handle("as ben")
            decided = "\n".join(session.handle(f"press {approve}"))
            assert "Approved by @ben" in decided and "DM to @ana" in decided

            session.handle("/kudos")
            form = "\n".join(session.handle("submit to=ana points=ten reason=tea"))
            assert "form error in points" in form
            assert session.screen.modal is not None
            assert "DM to @ana" in "\n".join(session.handle("submit to=ana points=3 reason=tea"))
        finally:
            session.close()
