"""Calls to Slack made after a read (a late answer, an App Home publish), on their own few workers."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from slack_sdk import WebClient

log = logging.getLogger("plaudit.slack.sends")

SEND_TIMEOUT_SECONDS = 5  # a call Slack has not answered by then is given up, never retried


class SlackSends:
    """A small bounded pool for the Slack calls that follow a read.

    A slow Slack holds these workers, never the read workers: reads stay free to answer. At most
    `workers` calls run and `backlog` more wait; one more is dropped with a log line (the person
    keeps the "Working on it…" or the App Home they already had).
    """

    def __init__(self, workers: int = 2, backlog: int = 32) -> None:
        self.limit = workers + backlog
        self._count = threading.Lock()
        self._pending = 0
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="plaudit-slack-send")

    def submit(self, what: str, call: Callable[[], object]) -> bool:
        """Run `call` on a sender; False, and not run, when too many are already waiting."""
        with self._count:
            if self._pending >= self.limit:
                log.warning("%s was dropped: %d Slack calls are already waiting", what, self.limit)
                return False
            self._pending += 1
        try:
            self._pool.submit(self._send, what, call)
        except RuntimeError:  # the pool was shut down: the server is stopping
            self._done()
            log.warning("%s was dropped: the server is stopping", what)
            return False
        return True

    @property
    def pending(self) -> int:
        """Calls running or waiting now."""
        with self._count:
            return self._pending

    def shutdown(self, wait: bool = False) -> None:
        """Take no more calls; those waiting still run (awaited if `wait`)."""
        self._pool.shutdown(wait=wait)

    def _send(self, what: str, call: Callable[[], object]) -> None:
        try:
            call()
        except Exception:
            log.exception("%s failed", what)
        finally:
            self._done()

    def _done(self) -> None:
        with self._count:
            self._pending -= 1


def quick_client(client: WebClient) -> WebClient:
    """A copy of `client` that waits at most SEND_TIMEOUT_SECONDS for Slack and never retries."""
    return WebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=SEND_TIMEOUT_SECONDS,
        ssl=client.ssl,
        proxy=client.proxy,
        headers=dict(client.headers),
        retry_handlers=[],
    )
