"""Slash-command reads within Slack's 3 seconds: in the ack when quick, else later at response_url."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from bot.inbound.slack_sends import SlackSends

log = logging.getLogger("plaudit.slack.read_budget")

Answer = dict
Send = Callable[[str, Answer], object]
Refusal = Callable[[str], "str | None"]  # why a response_url may not be answered, None if it may
FollowUp = Callable[[], object]  # the Slack call a read leads to (a views.publish), sent after it

WORKING: Answer = {
    "response_type": "ephemeral",
    "text": ":hourglass_flowing_sand: Working on it… the answer will appear here in a moment.",
}
TOO_SLOW: Answer = {
    "response_type": "ephemeral",
    "text": ":hourglass: That is taking longer than Slack waits for; try again in a moment.",
}
BUSY: Answer = {
    "response_type": "ephemeral",
    "text": ":hourglass: I am busy answering others right now; try again in a moment.",
}
APOLOGY: Answer = {
    "response_type": "ephemeral",
    "text": ":warning: Something went wrong on our side; try again shortly.",
}


class _Job:
    """One read: its answer once done, and whether the ack has already been sent without it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.finished = threading.Event()
        self.answer: Answer | None = None
        self.late = False  # the ack went without the answer: send it to response_url when done
        self.response_url: str | None = None  # where to send it; None: nowhere allowed, dropped


class ReadBudget:
    """Runs reads on a bounded pool and waits `budget` seconds for each.

    A read done in time is the acknowledgement's body, as before. One still running acks with
    "Working on it…" and, when it finishes, its answer (or an apology, if it failed) is POSTed by
    `send` to the command's response_url as an ephemeral message that replaces nothing. At most
    `workers` reads run at once and none wait in a queue: one more is answered "busy". A
    response_url that `refusal` refuses is never sent anything: the ack says to try again.

    Only the read holds a read worker. What goes to Slack afterwards (the late POST, a
    views.publish) is handed to `sends`, its own few workers, so a slow Slack never makes a read
    "busy".
    """

    def __init__(
        self, budget: float, workers: int, send: Send, refusal: Refusal, sends: SlackSends | None = None
    ) -> None:
        self.budget = budget
        self.workers = workers
        self._send = send
        self._refusal = refusal
        self.sends = sends or SlackSends()
        self._count = threading.Lock()
        self._running = 0
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="plaudit-slack-read")

    def answer(self, read: Callable[[], Answer], response_url: str | None) -> Answer:
        """The acknowledgement for `read`: its answer, "Working on it…", or "busy"."""
        if not self._take():
            log.warning("a Slack read was refused: all %d read workers are busy", self.workers)
            return BUSY
        job = _Job()
        try:
            self._pool.submit(self._run, job, read)
        except RuntimeError:  # the pool was shut down: the server is stopping
            self._give_back()
            return BUSY
        if not job.finished.wait(self.budget):
            refused = self._refusal(response_url or "")
            with job.lock:
                if job.answer is None:
                    job.late = True
                    if refused is None:
                        job.response_url = response_url
                        return WORKING
                    log.warning("a slow Slack read cannot answer late: response_url refused (%s)", refused)
                    return TOO_SLOW
        assert job.answer is not None  # set before `finished`, or under the lock
        return job.answer

    def run(self, read: Callable[[], FollowUp | None], what: str = "a Slack update") -> bool:
        """Run `read` (building an App Home); the Slack call it returns, if any, goes to the senders
        once its read worker is free. Both are waited for up to the budget in all, then left to
        finish. False, and not run, when every read worker is busy."""
        if not self._take():
            log.warning("a Slack update was skipped: all %d read workers are busy", self.workers)
            return False
        settled = threading.Event()  # the read failed or led nowhere, or its Slack call is over

        def send(follow_up: FollowUp) -> None:
            try:
                follow_up()
            finally:
                settled.set()

        def task() -> None:
            follow_up = None
            try:
                follow_up = read()
            except Exception:
                log.exception("a Slack update failed")
            finally:
                self._give_back()
            if follow_up is None or not self.sends.submit(what, partial(send, follow_up)):
                settled.set()

        try:
            self._pool.submit(task)
        except RuntimeError:  # the pool was shut down: the server is stopping
            self._give_back()
            return False
        settled.wait(self.budget)
        return True

    @property
    def running(self) -> int:
        """Reads running now (a late one until its answer is handed to the senders)."""
        with self._count:
            return self._running

    def shutdown(self, wait: bool = False) -> None:
        """Stop taking reads; those running finish and send their late answers (awaited if `wait`)."""
        self._pool.shutdown(wait=wait)
        if wait:  # every read is done, so nothing more comes to the senders
            self.sends.shutdown(wait=True)

    def _take(self) -> bool:
        with self._count:
            if self._running >= self.workers:
                return False
            self._running += 1
            return True

    def _give_back(self) -> None:
        with self._count:
            self._running -= 1

    def _run(self, job: _Job, read: Callable[[], Answer]) -> None:
        late = False
        try:
            try:
                answer = read()
            except Exception:
                log.exception("a Slack read failed")
                answer = APOLOGY
            with job.lock:
                job.answer = answer
                late = job.late
            job.finished.set()
        finally:
            self._give_back()  # the read is done: the POST below must not hold a read worker
        if late:
            self._deliver_late(job.response_url, answer)

    def _deliver_late(self, response_url: str | None, answer: Answer) -> None:
        if response_url is None:
            log.warning("a late Slack answer was dropped: its response_url was refused")
            return
        body = {**answer, "response_type": "ephemeral", "replace_original": False}

        def post() -> None:
            try:
                self._send(response_url, body)
            except Exception:
                log.exception("a late Slack answer could not be sent")

        self.sends.submit("a late Slack answer", post)
