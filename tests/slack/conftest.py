"""Slack fixtures: a FakeSlack Web API, the real web app with Slack mounted, a signed-request driver."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient

from bot.outbound.messages import all_renderers
from bot.outbound.notifier import RenderContext, SlackNotifier
from bot.simulator.fake_slack import FakeSlack
from bot.simulator.signed_requests import SlackDriver, flask_transport
from plaudit.assembly import build_web_app
from scheduler.outbox import deliver_due
from tests.slack.helpers import PEOPLE, SECRET, make_settings


@pytest.fixture
def fake():
    with FakeSlack() as fake:
        for user_id, name in PEOPLE.items():
            fake.add_user(user_id, name=name.title(), email=f"{name}@example.com")
        fake.add_user("UROBOT", name="Robot", is_bot=True)
        fake.add_user("UGUEST", name="Guest", guest=True, email="guest@example.com")
        fake.add_user("UGONE", name="Gone", deleted=True)
        fake.add_usergroup("SDESIGN", ["UANA", "UBEN", "UCY"])
        yield fake


@pytest.fixture
def settings(store, fake):
    return make_settings(store, fake, PLAUDIT_REACTION_EMOJI="clap")


@pytest.fixture
def web(store, settings):
    return build_web_app(settings, store)


@pytest.fixture
def slack(web):
    return SlackDriver(flask_transport(web.test_client()), SECRET)


@pytest.fixture
def deliver(store, settings, fake):
    """Deliver the outbox to the FakeSlack, as the scheduler would."""
    notifier = SlackNotifier(
        WebClient(token="xoxb-test", base_url=fake.url), RenderContext(store, settings.extra), all_renderers()
    )

    def run() -> int:
        return deliver_due(store, {"slack": notifier})

    return run
