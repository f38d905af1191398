"""Shared helpers for the Slack tests: the signing secret, the people in the fake workspace, balances."""

from __future__ import annotations

from bot.simulator.fake_slack import FakeSlack
from plaudit.settings import Settings
from rewards.policy import AllowancePolicy, RecognitionPolicy, RedemptionPolicy
from storage.reads import activity
from storage.store import Store

SECRET = "test-signing-secret"
PEOPLE = {"UANA": "ana", "UBEN": "ben", "UCY": "cy", "UDEE": "dee"}


def make_settings(store: Store, fake: FakeSlack, **extra: str) -> Settings:
    """Settings for the web app on this store, talking to the fake Slack, with the test policies."""
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


def wallet_of(store: Store, slack_id: str) -> int:
    """Points the Slack user has received (0 if unknown)."""
    with store.reader() as uow:
        employee = uow.employees.get_by_slack_id(slack_id)
    return activity.balances(store, employee.id).wallet if employee else 0


def allowance_of(store: Store, slack_id: str) -> int:
    """Points the Slack user may still give (0 if unknown)."""
    with store.reader() as uow:
        employee = uow.employees.get_by_slack_id(slack_id)
    return activity.balances(store, employee.id).allowance if employee else 0
