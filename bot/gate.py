"""Bolt's first middleware: a quiet signature check, then a wait for Slack's Web API to be usable."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from slack_bolt.middleware import Middleware
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier

from bot.link import SlackLink

log = logging.getLogger("plaudit.slack")

GRACE_SECONDS = 1.5  # a request may wait this long for a check it triggered; Slack wants 3 s
NOT_YET = ":hourglass: Plaudit cannot reach Slack yet, so nothing was done. Please try again in a minute."
NO_AUTH_NEEDED = ("url_verification", "ssl_check")


class SlackGate(Middleware):
    """Refuses unsigned requests without logging them; answers 503 until the bot token is verified.

    Bolt's own signature check logs the whole request body when it fails, so it is switched off
    and this one runs in its place (before authorization). A slash command gets a sentence
    instead of a 503, since Slack does not retry commands.
    """

    def __init__(self, link: SlackLink, signing_secret: str | None, *, verify: bool) -> None:
        self.link = link
        self.verifier = SignatureVerifier(signing_secret or "") if verify else None

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        if self.verifier is not None and req.mode != "socket_mode" and not self._signed(req):
            log.info("refused a Slack request: invalid signature or stale timestamp")
            return BoltResponse(status=401, body={"error": "invalid request"})
        if (req.body or {}).get("type") in NO_AUTH_NEEDED or self.link.wait(GRACE_SECONDS):
            return next()
        if "command" in (req.body or {}):
            return BoltResponse(
                status=200,
                body=json.dumps({"response_type": "ephemeral", "text": NOT_YET}),
                headers={"content-type": "application/json;charset=utf-8"},
            )
        return BoltResponse(status=503, body={"error": "slack_not_ready"})

    def _signed(self, req: BoltRequest) -> bool:
        assert self.verifier is not None
        timestamp = req.headers.get("x-slack-request-timestamp", ["0"])[0]
        signature = req.headers.get("x-slack-signature", [""])[0]
        return self.verifier.is_valid(req.raw_body, timestamp, signature)
