"""Whether Slack's Web API has accepted the bot token: checked in the background until it has."""

from __future__ import annotations

import logging
import threading
import time

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger("plaudit.slack")

FIRST_DELAY = 1.0
MAX_DELAY = 30.0
MIN_GAP = 2.0  # between two checks, however often requests nudge
CHECK_TIMEOUT = 10
NOT_CHECKED = "not checked yet"


def quiet_client(client: WebClient) -> WebClient:
    """The same client without slack_sdk's error line (and retry) per failed attempt.

    For calls retried with backoff, whose caller logs each change of outcome once.
    """
    quiet = logging.Logger("plaudit.slack.retried")  # outside the hierarchy: no handler sees it
    quiet.addHandler(logging.NullHandler())
    return WebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=min(client.timeout, CHECK_TIMEOUT),
        ssl=client.ssl,
        proxy=client.proxy,
        headers=client.headers,
        logger=quiet,
        retry_handlers=[],
    )


class SlackLink:
    """Runs auth.test with backoff on a daemon thread until it succeeds; never blocks a start."""

    def __init__(self, client: WebClient, *, first_delay: float = FIRST_DELAY, max_delay: float = MAX_DELAY):
        self._client = quiet_client(client)
        self._first_delay, self._max_delay = first_delay, max_delay
        self._ready = threading.Event()
        self._checked = threading.Event()
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._problem = NOT_CHECKED
        self._last_check = 0.0

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def problem(self) -> str | None:
        """None once the token is verified; otherwise why Slack is not usable yet (no secrets)."""
        return None if self.ready else self._problem

    def start(self) -> SlackLink:
        """Start the background check (once)."""
        with self._lock:
            if self._thread is None and not self.ready:
                self._thread = threading.Thread(target=self._run, name="plaudit-slack-link", daemon=True)
                self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()

    def wait(self, seconds: float) -> bool:
        """Ask for a check now (a request arrived) and wait up to `seconds` for the token to pass."""
        if not self.ready:
            self.start()
            self._wake.set()
        return self._ready.wait(seconds)

    def settled(self, seconds: float) -> bool:
        """Whether the token is verified, waiting up to `seconds` for the first check only."""
        self.start()
        self._checked.wait(seconds)
        return self.ready

    def check(self) -> bool:
        """One auth.test; records the outcome."""
        self._last_check = time.monotonic()
        try:
            self._client.auth_test()
        except SlackApiError as refused:
            self._fail(f"Slack refused the bot token ({refused.response.get('error')})", refused)
        except Exception as unreachable:  # DNS, refused connection, proxy, timeout, TLS
            self._fail(f"Slack's Web API is unreachable ({type(unreachable).__name__})", unreachable)
        else:
            if not self.ready and self._problem != NOT_CHECKED:  # news only after a failure
                log.info("Slack accepted the bot token: Slack requests are served")
            self._ready.set()
        self._checked.set()
        return self.ready

    def _fail(self, problem: str, error: Exception) -> None:
        if problem != self._problem:  # one line per change, not per attempt
            log.warning("%s; retrying in the background: %s", problem, str(error)[:300])
        self._problem = problem

    def _run(self) -> None:
        delay = self._first_delay
        while not self._stopped.is_set():
            pause = self._last_check + MIN_GAP - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            if self.check():
                return
            self._wake.wait(delay)
            self._wake.clear()
            delay = min(delay * 2, self._max_delay)
