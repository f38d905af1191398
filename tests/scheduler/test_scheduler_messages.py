"""What people read in Slack for reminders, escalations, expiry and the weekly digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from slack_sdk import WebClient

from bot.outbound.messages import all_renderers
from bot.outbound.notifier import RenderContext, SlackNotifier
from bot.simulator.fake_slack import FakeSlack
from rewards.policy import RecognitionPolicy
from rewards.services.approval_timers import ApprovalTimers, chase_approvals
from rewards.services.digest import DigestOptions, post_weekly_digest
from rewards.services.recognition import GiveRecognition, give_recognition
from scheduler.outbox import deliver_due
from storage.scheduling.unit_of_work import scheduler_uow
from tests.factories import employee, give_allowance
from tests.scheduler.test_periodic_services import approval_setup


def deliver(store, fake):
    client = WebClient(token="xoxb-test", base_url=fake.url)
    deliver_due(store, {"slack": SlackNotifier(client, RenderContext(store, {}), all_renderers())})
    return {(c.args["channel"], c.args["text"]) for c in fake.calls_to("chat.postMessage")}


def test_reminder_escalation_and_expiry_reach_the_right_people(sqlite_store, clock):
    person, boss, hr, redemption, policy = approval_setup(sqlite_store, clock)
    start = clock.now()
    with FakeSlack() as fake:
        deliver(sqlite_store, fake)
        fake.reset_calls()
        for after in (timedelta(days=3), timedelta(days=6), timedelta(days=15)):
            clock.set(start + after)
            chase_approvals(sqlite_store.uow(), policy, ApprovalTimers(), clock)
        posts = deliver(sqlite_store, fake)
    by_channel = {channel: text for channel, text in posts}
    assert f"<@{person.slack_user_id}> is waiting for your decision" in by_channel[boss.slack_user_id]
    assert f"#{redemption.id}" in by_channel[hr.slack_user_id]
    assert "waited 6 days" in by_channel[hr.slack_user_id]
    told = by_channel[person.slack_user_id]  # the Slack adapter's redemption.expired message
    assert "*Headphones* expired" in told and "400 points are back" in told


def test_the_weekly_digest_names_values_and_people_in_the_recognition_channel(sqlite_store, clock):
    clock.set(datetime(2026, 3, 4, 12, 0, tzinfo=UTC))
    ana, ben = employee(sqlite_store), employee(sqlite_store)
    give_allowance(sqlite_store, ana, 100)
    give_recognition(
        sqlite_store.uow(),
        GiveRecognition(ana.id, [ben.id], 10, "thanks!", "d1", value="teamwork"),
        RecognitionPolicy(),
        clock,
    )
    clock.set(datetime(2026, 3, 9, 9, 30, tzinfo=UTC))
    post_weekly_digest(scheduler_uow(sqlite_store), DigestOptions("C0KUDOS"), clock)
    with FakeSlack() as fake:
        posts = deliver(sqlite_store, fake)
    (text,) = [text for channel, text in posts if channel == "C0KUDOS"]
    assert "1 recognition, 10 points" in text and "#teamwork (1)" in text
    assert f"<@{ben.slack_user_id}>" in text
