"""Slack fixtures: a FakeSlack Web API, the real web app with Slack mounted, a signed-request driver."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient

from bot.outbound.messages import all_renderers
from bot.outbound.notifier import RenderContext, SlackNotifier
from bot.simulator.fake_slack import FakeSlack
from bot.simulator.signed_requests import SlackDriver, flask_transport
from plaudit.assembly import build_web_app
from plaudit.settings import Settings
from rewards.policy import AllowancePolicy, RecognitionPolicy, RedemptionPolicy
from scheduler.outbox import deliver_due
from storage.reads import activity

SECRET = "test-signing-secret"
PEOPLE = {"UANA": "ana", "UBEN": "ben", "UCY": "cy", "UDEE": "dee"}


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


def make_settings(store, fake, **extra) -> Settings:
    return Settings(
        database_url=str(store.engine.url),
        slack_bot_token="xoxb-test",
        slack_signing_secret=SECRET,
        slack_api_url=fake.url,
        recognition=RecognitionPolicy(max_points=50),
        redemption=RedemptionPolicy(approval_threshold=100),
        allowance=AllowancePolicy(points_per_period=100),
        extra=extra,
    )


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


def wallet_of(store, slack_id: str) -> int:
    with store.reader() as uow:
        employee = uow.employees.get_by_slack_id(slack_id)
    return activity.balances(store, employee.id).wallet if employee else 0


def allowance_of(store, slack_id: str) -> int:
    with store.reader() as uow:
        employee = uow.employees.get_by_slack_id(slack_id)
    return activity.balances(store, employee.id).allowance if employee else 0
