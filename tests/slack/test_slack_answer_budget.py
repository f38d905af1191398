"""Slack reads within its 3 seconds: command answers in the ack or at response_url; App Home after the ack."""

from __future__ import annotations

import logging
import threading

import pytest

from bot.config import BotConfig, BotConfigError
from bot.inbound import answers, home
from bot.inbound.response_url import post, refusal
from bot.simulator.fake_slack import FakeSlack
from bot.simulator.signed_requests import SlackDriver, flask_transport
from plaudit.assembly import build_web_app
from storage.ledger.verify import verify_ledger
from tests.slack.helpers import SECRET, allowance_of, make_settings, wallet_of

TINY = "0.05"  # seconds: a read held on an event is always past it
WAIT = 30  # seconds a test waits for an event before failing instead of hanging


class HeldRead:
    """Stands in for a read function: it waits until released, then answers (or fails)."""

    def __init__(self, original, *, fail: bool = False) -> None:
        self.original = original
        self.fail = fail
        self.started = threading.Event()
        self.release = threading.Event()
        self.finished = threading.Event()
        self.calls = 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        self.started.set()
        try:
            if not self.release.wait(WAIT):
                raise RuntimeError("the test never released the read")
            if self.fail:
                raise RuntimeError("the database went away")
            return self.original(*args, **kwargs)
        finally:
            self.finished.set()


@pytest.fixture
def held(monkeypatch):
    """Hold a read function of bot.inbound.answers: `held("balance_text")`; released at teardown."""
    made: list[HeldRead] = []

    def hold(name: str, *, fail: bool = False) -> HeldRead:
        read = HeldRead(getattr(answers, name), fail=fail)
        monkeypatch.setattr(answers, name, read)
        made.append(read)
        return read

    yield hold
    for read in made:  # never leave a pool thread waiting after the test
        read.release.set()


@pytest.fixture
def slack_with(store, fake):
    """A signed-request driver for the web app with these PLAUDIT_* settings."""

    def make(**extra: str) -> SlackDriver:
        web = build_web_app(make_settings(store, fake, **extra), store)
        return SlackDriver(flask_transport(web.test_client()), SECRET)

    return make


class LogEvent(logging.Handler):
    """Sets `seen` when a record containing `words` is logged, from any thread."""

    def __init__(self, words: str) -> None:
        super().__init__(logging.DEBUG)
        self.words = words
        self.seen = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.words in record.getMessage():
            self.seen.set()


@pytest.fixture
def log_event():
    handlers: list[LogEvent] = []

    def watch(words: str) -> LogEvent:
        handler = LogEvent(words)
        logging.getLogger().addHandler(handler)
        handlers.append(handler)
        return handler

    yield watch
    for handler in handlers:
        logging.getLogger().removeHandler(handler)


def test_a_slow_balance_acks_at_once_and_answers_at_response_url(slack_with, fake, store, held):
    slack = slack_with(PLAUDIT_SLACK_ANSWER_BUDGET=TINY)
    assert slack.command("UBEN", "<@UANA> 20 for the demo").json()["response_type"] == "in_channel"
    assert slack.command("UCY", "<@UANA> 15 for the review").json()["response_type"] == "in_channel"
    read = held("balance_text")

    reply = slack.command("UANA", "balance", response_url=fake.hook_url("commands/slow"))

    assert reply.status == 200
    assert reply.json()["response_type"] == "ephemeral"
    assert "Working on it" in reply.json()["text"]
    assert read.started.is_set() and not read.finished.is_set()  # acked before the read finished
    assert fake.calls_to("response_url") == []

    read.release.set()
    [late] = fake.wait_for("response_url")
    assert late.path == "/hooks/commands/slow"
    assert late.args["response_type"] == "ephemeral" and late.args["replace_original"] is False
    # Ana received 20 + 15 and gave nothing: her whole first allowance (100) is left
    assert "*35 points* to spend" in late.args["text"]
    assert "*100 points* left to give" in late.args["text"]
    assert wallet_of(store, "UANA") == 35


def test_a_slow_leaderboard_answers_at_response_url_with_the_ranking(slack_with, fake, held):
    slack = slack_with(PLAUDIT_SLACK_ANSWER_BUDGET=TINY)
    slack.command("UBEN", "<@UANA> 20 for the demo")
    slack.command("UBEN", "<@UCY> 5 for the notes")
    slack.command("UANA", "<@UCY> 30 for the launch")
    read = held("leaderboard")

    reply = slack.command("UDEE", "leaderboard month", response_url=fake.hook_url())

    assert "Working on it" in reply.json()["text"] and not read.finished.is_set()
    read.release.set()
    [late] = fake.wait_for("response_url")
    lines = late.args["text"].splitlines()
    assert lines[1:] == ["1. <@UCY> — 35 points", "2. <@UANA> — 20 points"]


def test_a_fast_read_answers_in_the_ack_and_posts_nothing(slack_with, fake, held):
    # one worker: a late answer is sent before the worker is free, so the held read below cannot
    # start (and its answer cannot arrive) before anything the fast read might have posted
    slack = slack_with(PLAUDIT_SLACK_ANSWER_BUDGET="1", PLAUDIT_SLACK_READ_WORKERS="1")
    slack.command("UBEN", "<@UANA> 20 for the demo")

    fast = slack.command("UANA", "balance", response_url=fake.hook_url("fast"))

    assert "*20 points* to spend" in fast.json()["text"]
    assert "*100 points* left to give" in fast.json()["text"]
    read = held("history_text")
    assert (
        "Working on it" in slack.command("UANA", "history", response_url=fake.hook_url("slow")).json()["text"]
    )
    read.release.set()
    fake.wait_for("response_url")
    assert [c.path for c in fake.calls_to("response_url")] == ["/hooks/slow"]
    assert "you thanked" not in fake.calls_to("response_url")[0].args["text"]
    assert "<@UBEN> thanked you 20 for the demo" in fake.calls_to("response_url")[0].args["text"]


def test_a_failing_late_read_posts_an_apology_and_logs_it(slack_with, fake, held, caplog):
    caplog.set_level(logging.INFO)
    slack = slack_with(PLAUDIT_SLACK_ANSWER_BUDGET=TINY)
    read = held("balance_text", fail=True)

    reply = slack.command("UANA", "balance", response_url=fake.hook_url())

    assert "Working on it" in reply.json()["text"]
    read.release.set()
    [late] = fake.wait_for("response_url")
    assert late.args["response_type"] == "ephemeral" and late.args["replace_original"] is False
    assert "Something went wrong on our side" in late.args["text"]
    failures = [r for r in caplog.records if r.exc_info and "the database went away" in str(r.exc_info[1])]
    assert len(failures) == 1 and failures[0].levelno == logging.ERROR


def test_a_foreign_response_url_is_sent_nothing(slack_with, fake, held, caplog, log_event):
    caplog.set_level(logging.INFO)
    slack = slack_with(PLAUDIT_SLACK_ANSWER_BUDGET=TINY)
    read = held("balance_text")
    dropped = log_event("late Slack answer was dropped")
    with FakeSlack() as elsewhere:
        reply = slack.command("UANA", "balance", response_url=elsewhere.hook_url())

        assert "Working on it" not in reply.json()["text"]
        assert "try again in a moment" in reply.json()["text"]
        assert any("response_url refused" in r.getMessage() for r in caplog.records)
        read.release.set()
        assert dropped.seen.wait(WAIT)
        assert read.finished.is_set()
        assert elsewhere.calls == []
    assert fake.calls_to("response_url") == []


def test_when_every_read_worker_is_busy_the_next_read_is_told_so(slack_with, fake, store, held):
    slack = slack_with(PLAUDIT_SLACK_ANSWER_BUDGET=TINY, PLAUDIT_SLACK_READ_WORKERS="1")
    slack.command("UBEN", "<@UANA> 20 for the demo")
    read = held("balance_text")
    assert "Working on it" in slack.command("UANA", "balance", response_url=fake.hook_url("1")).json()["text"]

    busy = slack.command("UBEN", "balance", response_url=fake.hook_url("2"))

    assert busy.json()["response_type"] == "ephemeral"
    assert "busy" in busy.json()["text"] and "try again" in busy.json()["text"]
    # a give is a write: it never waits for a read worker, and it counts once
    give = slack.command("UCY", "<@UBEN> 10 for the help")
    assert give.json()["response_type"] == "in_channel"
    assert wallet_of(store, "UBEN") == 10 and allowance_of(store, "UCY") == 90
    read.release.set()
    [late] = fake.wait_for("response_url")
    assert late.path == "/hooks/1" and "*20 points* to spend" in late.args["text"]
    assert read.calls == 1  # the busy one never ran
    assert verify_ledger(store.engine) == []


def test_help_and_redeem_answer_in_the_ack_while_every_read_worker_is_busy(slack_with, fake, held):
    """help reads nothing and redeem is a write: neither goes through the read workers."""
    slack = slack_with(PLAUDIT_SLACK_ANSWER_BUDGET=TINY, PLAUDIT_SLACK_READ_WORKERS="1")
    read = held("balance_text")
    slack.command("UANA", "balance", response_url=fake.hook_url())  # holds the only worker
    assert "Usage" in slack.command("UANA", "help").json()["text"]
    assert "no reward called" in slack.command("UANA", "redeem a-yacht").json()["text"]
    read.release.set()
    assert len(fake.wait_for("response_url")) == 1


@pytest.fixture
def held_home(monkeypatch):
    """App Home's build, held until released (released at teardown too)."""
    made: list[HeldRead] = []

    def hold(*, fail: bool = False) -> HeldRead:
        read = HeldRead(home.build, fail=fail)
        monkeypatch.setattr(home, "build", read)
        made.append(read)
        return read

    yield hold
    for read in made:
        read.release.set()


HOME = {"type": "app_home_opened", "user": "UANA", "tab": "home"}


@pytest.mark.parametrize("door", ["event", "button"])
def test_a_slow_home_is_acknowledged_first_and_published_when_built(slack_with, fake, held_home, door):
    slack = slack_with(PLAUDIT_SLACK_ANSWER_BUDGET=TINY)
    slack.command("UBEN", "<@UANA> 20 for the demo")
    build = held_home()

    reply = slack.event(HOME) if door == "event" else slack.press("UANA", "history_newest", "")

    assert reply.status == 200
    assert build.started.is_set() and not build.finished.is_set()  # acked before the home was built
    assert fake.calls_to("views.publish") == []
    build.release.set()
    [published] = fake.wait_for("views.publish")
    assert published.args["user_id"] == "UANA"
    assert "*20 points* to spend" in str(published.args["view"])  # from the real build


def test_app_home_and_commands_share_the_bounded_workers(slack_with, fake, held_home):
    slack = slack_with(PLAUDIT_SLACK_ANSWER_BUDGET=TINY, PLAUDIT_SLACK_READ_WORKERS="1")
    build = held_home()
    assert slack.event(HOME).status == 200  # holds the only worker

    busy = slack.command("UBEN", "balance", response_url=fake.hook_url())
    skipped = slack.event({**HOME, "user": "UBEN"})

    assert "busy" in busy.json()["text"] and skipped.status == 200
    build.release.set()
    fake.wait_for("views.publish")
    assert build.calls == 1  # Ben's home was skipped, not queued
    assert [c.args["user_id"] for c in fake.calls_to("views.publish")] == ["UANA"]
    assert fake.calls_to("response_url") == []


def test_a_failing_slow_home_is_logged_with_its_error(slack_with, fake, held_home, caplog, log_event):
    caplog.set_level(logging.INFO)
    slack = slack_with(PLAUDIT_SLACK_ANSWER_BUDGET=TINY)
    build = held_home(fail=True)
    failed = log_event("a Slack update failed")

    assert slack.event(HOME).status == 200
    build.release.set()
    assert failed.seen.wait(WAIT)
    [record] = [r for r in caplog.records if r.getMessage() == "a Slack update failed"]
    assert record.levelno == logging.ERROR and "the database went away" in str(record.exc_info[1])
    assert fake.calls_to("views.publish") == []


API = "https://slack.com/api/"
FAKE = "http://127.0.0.1:5050/api/"


@pytest.mark.parametrize(
    ("url", "base", "allowed"),
    [
        ("https://hooks.slack.com/commands/T0/123/abc", API, True),
        ("https://HOOKS.slack.com:443/commands/T0/123/abc", API, True),
        ("https://slack.com/other", API, True),  # the origin already trusted with the bot token
        ("http://127.0.0.1:5050/hooks/commands/1", FAKE, True),
        ("http://hooks.slack.com/commands/T0/123/abc", API, False),  # not https
        ("https://hooks.slack.com:8443/commands/T0/123/abc", API, False),
        ("https://hooks.slack.com.example.com/commands/1", API, False),
        ("https://hooks.slack.com@example.com/commands/1", API, False),
        ("https://user:pw@127.0.0.1:5050/hooks/1", "https://127.0.0.1:5050/api/", False),
        ("https://someone@hooks.slack.com/commands/T0/123/abc", API, False),
        ("https://hooks.example/commands/1", API, False),
        ("http://127.0.0.1:5051/hooks/commands/1", FAKE, False),  # another port, another origin
        ("http://127.0.0.1:5050/hooks/commands/1", API, False),  # the fake only when configured
        ("file:///etc/passwd", API, False),
        ("https://[::1/commands", API, False),
        ("", API, False),
    ],
)
def test_a_response_url_must_be_slacks_hooks_host_or_the_configured_api_origin(url, base, allowed):
    assert (refusal(url, base) is None) is allowed


def test_the_budget_and_the_workers_default_to_two_seconds_and_four():
    config = BotConfig.from_mapping({})
    assert (config.answer_budget_seconds, config.read_workers) == (2.0, 4)
    config = BotConfig.from_mapping(
        {"PLAUDIT_SLACK_ANSWER_BUDGET": "0.5", "PLAUDIT_SLACK_READ_WORKERS": "12"}
    )
    assert (config.answer_budget_seconds, config.read_workers) == (0.5, 12)


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("PLAUDIT_SLACK_ANSWER_BUDGET", "3"),  # no room left under Slack's 3 seconds
        ("PLAUDIT_SLACK_ANSWER_BUDGET", "0"),
        ("PLAUDIT_SLACK_ANSWER_BUDGET", "-1"),
        ("PLAUDIT_SLACK_ANSWER_BUDGET", "nan"),
        ("PLAUDIT_SLACK_ANSWER_BUDGET", "inf"),
        ("PLAUDIT_SLACK_ANSWER_BUDGET", "two"),
        ("PLAUDIT_SLACK_READ_WORKERS", "0"),
        ("PLAUDIT_SLACK_READ_WORKERS", "65"),
        ("PLAUDIT_SLACK_READ_WORKERS", "2.5"),
        ("PLAUDIT_SLACK_READ_WORKERS", "many"),
        ("PLAUDIT_SLACK_READ_WORKERS", "²"),  # a digit to str.isdigit, not to int()
        ("PLAUDIT_SLACK_READ_WORKERS", "٣"),  # Arabic-Indic three: int() reads it, we do not
        ("PLAUDIT_SLACK_READ_WORKERS", " "),
    ],
)
def test_a_bad_budget_setting_is_refused_by_name(name, raw):
    with pytest.raises(BotConfigError, match=name):
        BotConfig.from_mapping({name: raw})


# -- a slow Slack never makes a read "busy" ------------------------------------------------------


def test_a_stalled_views_publish_leaves_the_read_workers_free(slack_with, fake):
    slack = slack_with(PLAUDIT_SLACK_READ_WORKERS="1")
    slack.command("UBEN", "<@UANA> 20 for the demo")
    slack_answers = fake.stall("views.publish")

    assert slack.event(HOME).status == 200
    [stalled] = fake.wait_for("views.publish")  # Ana's home is built, and Slack is not answering

    balance = slack.command("UANA", "balance", response_url=fake.hook_url())
    assert "*20 points* to spend" in balance.json()["text"]  # in the ack, not "busy"
    slack_answers.set()
    assert stalled.args["user_id"] == "UANA" and "*20 points* to spend" in str(stalled.args["view"])
    assert fake.calls_to("response_url") == []


def test_a_stalled_late_answer_leaves_the_read_workers_free(slack_with, fake, held):
    slack = slack_with(PLAUDIT_SLACK_ANSWER_BUDGET=TINY, PLAUDIT_SLACK_READ_WORKERS="1")
    slack.command("UBEN", "<@UANA> 20 for the demo")
    slack_answers = fake.stall("response_url")
    read = held("balance_text")
    assert "Working on it" in slack.command("UANA", "balance", response_url=fake.hook_url("1")).json()["text"]
    read.release.set()
    [stalled] = fake.wait_for("response_url")  # the late answer is at Slack, unanswered

    second = slack.command("UBEN", "balance", response_url=fake.hook_url("2"))

    assert "busy" not in second.json()["text"]  # in the ack, or late: but it ran
    assert read.calls == 2
    slack_answers.set()
    assert stalled.path == "/hooks/1" and "*20 points* to spend" in stalled.args["text"]


# -- App Home: the last request of a person wins -------------------------------------------------


@pytest.fixture
def home_views(monkeypatch):
    """App Home's build replaced by a view naming its page; the "older" page held until released."""
    older_started, older_release = threading.Event(), threading.Event()

    def build(bot, employee, history_cursor=None):
        if history_cursor == "older":
            older_started.set()
            assert older_release.wait(WAIT)
        return {"type": "home", "blocks": [], "private_metadata": history_cursor or "newest"}

    monkeypatch.setattr(home, "build", build)
    yield older_started, older_release
    older_release.set()


def pages(fake: FakeSlack) -> list[str]:
    return [c.args["view"]["private_metadata"] for c in fake.calls_to("views.publish")]


def test_an_older_page_built_after_a_newer_request_is_never_published(
    slack_with, fake, home_views, log_event, caplog
):
    caplog.set_level(logging.INFO, logger="plaudit.slack.home")
    older_started, older_release = home_views
    slack = slack_with(PLAUDIT_SLACK_ANSWER_BUDGET=TINY)
    stale = log_event("a stale App Home was not published")

    assert slack.press("UANA", "history_older", "older").status == 200
    assert older_started.wait(WAIT)
    assert slack.press("UANA", "history_newest", "newest").status == 200
    fake.wait_for("views.publish")
    older_release.set()  # the older page is built last

    assert stale.seen.wait(WAIT)
    assert pages(fake) == ["newest"]


def test_a_newer_page_is_published_only_after_an_older_one_slack_is_still_taking(
    slack_with, fake, home_views, log_event, caplog
):
    caplog.set_level(logging.DEBUG, logger="plaudit.slack.home")
    _, older_release = home_views
    older_release.set()
    slack = slack_with()
    slack_answers = fake.stall("views.publish")
    waits = log_event("an App Home publish waits for an earlier one to finish")

    assert slack.press("UANA", "history_older", "older").status == 200
    fake.wait_for("views.publish")  # the older page is at Slack, unanswered
    assert slack.press("UANA", "history_newest", "newest").status == 200
    assert waits.seen.wait(WAIT)  # the newer one is built and waits for it
    slack_answers.set()

    assert len(fake.wait_for("views.publish", 2)) == 2
    assert pages(fake) == ["older", "newest"]  # so the newest lands last


def test_other_people_are_not_held_back_by_one_persons_newer_request(slack_with, fake, home_views):
    older_started, older_release = home_views
    slack = slack_with(PLAUDIT_SLACK_ANSWER_BUDGET=TINY)
    assert slack.press("UANA", "history_older", "older").status == 200
    assert older_started.wait(WAIT)
    assert slack.event({**HOME, "user": "UBEN"}).status == 200
    [ben] = fake.wait_for("views.publish")
    assert ben.args["user_id"] == "UBEN"
    older_release.set()
    assert [c.args["user_id"] for c in fake.wait_for("views.publish", 2)] == ["UBEN", "UANA"]


# -- the late POST: once, to the checked URL only ------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_response_url_that_redirects_is_not_followed(fake, status, caplog):
    with FakeSlack() as elsewhere:
        fake.fail_next("response_url", status, body={}, headers={"Location": elsewhere.hook_url()})

        assert post(fake.hook_url(), {"text": "You have 7 points"}) is False

        assert elsewhere.calls == []
    assert len(fake.calls_to("response_url")) == 1
    assert f"refused by Slack: HTTP {status}" in caplog.text


def test_a_late_answer_is_posted_once_even_when_slack_fails_or_times_out(fake):
    fake.fail_next("response_url", 500)
    assert post(fake.hook_url("a"), {"text": "x"}) is False
    slack_answers = fake.stall("response_url")
    assert post(fake.hook_url("b"), {"text": "x"}, timeout=0.2) is False
    slack_answers.set()
    assert [c.path for c in fake.calls_to("response_url")] == ["/hooks/a", "/hooks/b"]


def test_a_late_answer_is_posted_as_json_and_only_over_http(fake, tmp_path):
    assert post(fake.hook_url(), {"text": "You have 7 points", "response_type": "ephemeral"}) is True
    [call] = fake.calls_to("response_url")
    assert call.args == {"text": "You have 7 points", "response_type": "ephemeral"}
    secret = tmp_path / "secret"
    secret.write_text("x")
    assert post(secret.as_uri(), {"text": "x"}) is False
