"""ReadBudget on its own: late answers, failures, refusals and a full pool, with a recording sender."""

from __future__ import annotations

import logging
import threading

from bot.inbound.read_budget import APOLOGY, BUSY, TOO_SLOW, WORKING, ReadBudget
from bot.inbound.slack_sends import SlackSends

WAIT = 30  # seconds a test waits for an event before failing instead of hanging


class Sent:
    """A sender that records what it was asked to POST and signals each arrival."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.posts: list[tuple[str, dict]] = []
        self.arrived = threading.Event()

    def __call__(self, url: str, body: dict) -> None:
        self.posts.append((url, body))
        self.arrived.set()
        if self.fail:
            raise OSError("connection reset")


def allow_all(url: str) -> str | None:
    return None


def held(answer: dict | None = None, error: Exception | None = None):
    """A read that waits for `release`, then answers `answer` or raises `error`."""
    release = threading.Event()

    def read() -> dict:
        if not release.wait(WAIT):
            raise RuntimeError("never released")
        if error is not None:
            raise error
        return answer or {}

    return read, release


def test_a_read_done_in_time_is_the_ack_and_nothing_is_sent():
    sent = Sent()
    budget = ReadBudget(2.0, 2, sent, allow_all)
    answer = {"response_type": "ephemeral", "text": "You have 7 points"}

    assert budget.answer(lambda: answer, "https://hooks.slack.com/x") == answer
    assert budget.answer(lambda: answer, "https://hooks.slack.com/y") == answer
    budget.shutdown(wait=True)  # every worker done: nothing was sent late
    assert sent.posts == []


def test_a_late_answer_goes_to_the_response_url_ephemeral_replacing_nothing():
    sent = Sent()
    budget = ReadBudget(0.01, 1, sent, allow_all)
    read, release = held({"response_type": "in_channel", "text": "the board", "blocks": []})

    assert budget.answer(read, "https://hooks.slack.com/1") == WORKING
    release.set()
    assert sent.arrived.wait(WAIT)
    assert sent.posts == [
        (
            "https://hooks.slack.com/1",
            {"response_type": "ephemeral", "text": "the board", "blocks": [], "replace_original": False},
        )
    ]


def test_a_read_that_raises_late_sends_an_apology_and_logs(caplog):
    caplog.set_level(logging.INFO)
    sent = Sent()
    budget = ReadBudget(0.01, 1, sent, allow_all)
    read, release = held(error=ValueError("boom"))

    assert budget.answer(read, "https://hooks.slack.com/1") == WORKING
    release.set()
    assert sent.arrived.wait(WAIT)
    assert sent.posts == [("https://hooks.slack.com/1", {**APOLOGY, "replace_original": False})]
    assert [r.getMessage() for r in caplog.records if r.exc_info] == ["a Slack read failed"]


def test_a_read_that_raises_in_time_answers_the_apology_in_the_ack():
    def read() -> dict:
        raise ValueError("boom")

    assert ReadBudget(2.0, 1, Sent(), allow_all).answer(read, "https://hooks.slack.com/1") == APOLOGY


def test_a_refused_response_url_acks_try_again_and_sends_nothing(caplog):
    caplog.set_level(logging.INFO)
    sent = Sent()
    budget = ReadBudget(0.01, 1, sent, lambda url: "not Slack")
    read, release = held({"text": "late"})

    assert budget.answer(read, "https://elsewhere.example/1") == TOO_SLOW
    release.set()
    budget.shutdown(wait=True)
    assert sent.posts == []
    messages = [r.getMessage() for r in caplog.records]
    assert any("response_url refused (not Slack)" in m for m in messages)
    assert any("late Slack answer was dropped" in m for m in messages)


def test_a_full_pool_answers_busy_and_frees_its_worker_even_when_sending_fails(caplog):
    sent = Sent(fail=True)
    budget = ReadBudget(0.01, 2, sent, allow_all)
    first, release_first = held({"text": "first"})
    second, release_second = held({"text": "second"})
    ran: list[str] = []

    assert budget.answer(first, "https://hooks.slack.com/1") == WORKING
    assert budget.answer(second, "https://hooks.slack.com/2") == WORKING
    assert budget.answer(lambda: ran.append("third") or {}, "https://hooks.slack.com/3") == BUSY
    assert budget.running == 2
    release_first.set()
    release_second.set()
    budget.shutdown(wait=True)
    assert ran == []
    assert sorted(url for url, _ in sent.posts) == ["https://hooks.slack.com/1", "https://hooks.slack.com/2"]
    assert len([r for r in caplog.records if r.getMessage() == "a late Slack answer could not be sent"]) == 2
    assert budget.running == 0  # both workers came back, though neither answer could be sent


def test_a_late_answer_that_slack_is_slow_to_take_does_not_hold_a_read_worker():
    """Only the read counts against the read workers: the POST after it runs on the senders."""
    posting = threading.Event()
    slack_answers = threading.Event()
    posts: list[str] = []

    def slow_send(url: str, body: dict) -> None:
        posts.append(url)
        posting.set()
        assert slack_answers.wait(WAIT)

    budget = ReadBudget(0.01, 1, slow_send, allow_all)
    read, release = held({"text": "late"})
    assert budget.answer(read, "https://hooks.slack.com/1") == WORKING
    release.set()
    assert posting.wait(WAIT)  # the late POST is under way, and Slack has not answered it

    fast = {"response_type": "ephemeral", "text": "You have 7 points"}
    answered = [budget.answer(lambda: fast, "https://hooks.slack.com/2") for _ in range(3)]
    assert BUSY not in answered
    slack_answers.set()
    budget.shutdown(wait=True)
    assert posts == ["https://hooks.slack.com/1"] + ["https://hooks.slack.com/2"] * answered.count(WORKING)


def test_a_slack_call_after_a_read_runs_on_the_senders_once_the_read_worker_is_free():
    budget = ReadBudget(2.0, 1, Sent(), allow_all)
    in_slack = threading.Event()
    slack_answers = threading.Event()
    done: list[str] = []

    def publish() -> None:
        in_slack.set()
        assert slack_answers.wait(WAIT)
        done.append("published")

    assert budget.run(lambda: publish)
    assert in_slack.wait(WAIT)
    assert budget.running == 0 and budget.sends.pending == 1
    assert budget.answer(lambda: {"text": "fast"}, None) == {"text": "fast"}
    slack_answers.set()
    budget.shutdown(wait=True)
    assert done == ["published"] and budget.sends.pending == 0


def test_the_senders_drop_what_would_wait_past_their_backlog(caplog):
    sends = SlackSends(workers=1, backlog=1)
    slack_answers = threading.Event()
    started = threading.Event()
    ran: list[int] = []

    def call(n: int):
        def send() -> None:
            started.set()
            assert slack_answers.wait(WAIT)
            ran.append(n)

        return send

    assert sends.submit("first", call(1))
    assert started.wait(WAIT)
    assert sends.submit("second", call(2))  # waits for the one worker
    assert not sends.submit("a late Slack answer", call(3))
    assert "a late Slack answer was dropped: 2 Slack calls are already waiting" in caplog.text
    slack_answers.set()
    sends.shutdown(wait=True)
    assert ran == [1, 2] and sends.pending == 0


def test_a_failing_slack_call_is_logged_and_frees_its_sender(caplog):
    sends = SlackSends(workers=1, backlog=0)

    def boom() -> None:
        raise TimeoutError("Slack took too long")

    assert sends.submit("an App Home publish", boom)
    sends.shutdown(wait=True)
    [record] = [r for r in caplog.records if r.exc_info]
    assert record.getMessage() == "an App Home publish failed" and sends.pending == 0
