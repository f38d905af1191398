"""App Home updates: built on a read worker, published by a sender, the last request per person winning."""

from __future__ import annotations

import itertools
import logging
import threading
import zlib
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.context import Bot
from bot.inbound import home
from bot.inbound.read_budget import FollowUp, ReadBudget

log = logging.getLogger("plaudit.slack.home")

STRIPES = 64  # locks that keep one person's publishes in order; people sharing one only queue


@dataclass(frozen=True)
class Ticket:
    """One App Home request: whose, and its place in the order requests arrived."""

    slack_user_id: str
    number: int


class HomeUpdates:
    """Publishes App Homes so that the last request of each person is the one that stays.

    Quick clicks ("Older", then "Newest") build at once on different read workers and may finish
    in any order. Each request takes a number as it arrives; a view is published only if no newer
    request of that person has arrived, and one person's publishes never overlap, so an older view
    can neither be sent after a newer one nor land after it.
    """

    def __init__(self, bot: Bot, reads: ReadBudget, client: WebClient) -> None:
        self._bot = bot
        self._reads = reads
        self._client = client
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()
        # a person's newest request not yet done with; one whose publish the senders dropped stays
        # until that person's next request replaces it (one number per person, at most)
        self._latest: dict[str, int] = {}
        self._stripes = [threading.Lock() for _ in range(STRIPES)]

    def request(self, slack_user_id: str, history_cursor: str | None = None) -> None:
        """Build and publish the person's App Home, if the read workers have room (else skipped)."""
        ticket = self._ticket(slack_user_id)

        def build() -> FollowUp | None:
            try:
                view = home.view_for(self._bot, slack_user_id, history_cursor)
            except BaseException:
                self._done(ticket)
                raise
            if view is None:
                self._done(ticket)
                return None
            return lambda: self._publish(ticket, view)

        if not self._reads.run(build, "an App Home publish"):
            self._done(ticket)

    def _ticket(self, slack_user_id: str) -> Ticket:
        with self._lock:
            ticket = Ticket(slack_user_id, next(self._numbers))
            self._latest[slack_user_id] = ticket.number
            return ticket

    def _is_latest(self, ticket: Ticket) -> bool:
        with self._lock:
            return self._latest.get(ticket.slack_user_id) == ticket.number

    def _done(self, ticket: Ticket) -> None:
        """Forget the person once their newest request is done: any older one still out is stale."""
        with self._lock:
            if self._latest.get(ticket.slack_user_id) == ticket.number:
                del self._latest[ticket.slack_user_id]

    def _publish(self, ticket: Ticket, view: dict) -> None:
        user = ticket.slack_user_id
        stripe = self._stripes[zlib.crc32(user.encode()) % STRIPES]
        if not stripe.acquire(blocking=False):
            log.debug("an App Home publish waits for an earlier one to finish")
            stripe.acquire()
        try:
            if not self._is_latest(ticket):
                log.info("a stale App Home was not published: a newer request came in")
                return
            self._client.views_publish(user_id=user, view=view)
        except SlackApiError as exc:
            log.warning("views.publish failed: %s", exc.response.get("error"))
        finally:
            self._done(ticket)
            stripe.release()
