"""Late answers to a slash command: where its response_url may point, and the POST that answers there."""

from __future__ import annotations

import json
import logging
import urllib.request
from urllib.error import HTTPError
from urllib.parse import urlsplit

log = logging.getLogger("plaudit.slack.response_url")

SLACK_HOOKS_HOST = "hooks.slack.com"
TIMEOUT_SECONDS = 5  # then given up: the person keeps the "Working on it…"


def refusal(url: str, api_base: str) -> str | None:
    """Why the bot will not POST to `url`, or None when it may.

    A response_url comes from a signed request, but an answer still goes only to Slack's hooks
    host over https, or to the origin of the Web API base the bot already trusts with its token
    (SLACK_API_URL: slack.com in production, the fake Slack in tests).
    """
    try:
        target = urlsplit(url)
        port = target.port
        trusted = urlsplit(api_base)
        trusted_port = trusted.port
    except ValueError:
        return "not a URL"
    host = (target.hostname or "").lower()
    if target.username is not None or target.password is not None:
        return "a URL with credentials"
    if target.scheme == "https" and host == SLACK_HOOKS_HOST and port in (None, 443):
        return None
    if target.scheme in ("http", "https") and (target.scheme, host, port) == (
        trusted.scheme,
        (trusted.hostname or "").lower(),
        trusted_port,
    ):
        return None
    where = f"{target.scheme or 'no scheme'}://{host or 'no host'}"
    return f"{where} is neither https://{SLACK_HOOKS_HOST} nor the origin of SLACK_API_URL"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Refuse every redirect: a 3xx is the answer, never a new request to wherever it points."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


# No redirects, and no retries (urllib has none, unlike slack_sdk's WebhookClient): a late answer
# goes once to the checked URL, or not at all, and is never posted twice.
_opener = urllib.request.build_opener(_NoRedirects())


def post(url: str, body: dict, timeout: float = TIMEOUT_SECONDS) -> bool:
    """POST one message to a response_url; True if Slack took it (a failure is logged, never raised)."""
    if urlsplit(url).scheme not in ("http", "https"):  # urllib would also open file: and ftp:
        log.warning("late Slack answer not delivered: not an http(s) URL")
        return False
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with _opener.open(request, timeout=timeout) as response:
            status = response.status
    except HTTPError as exc:  # also a redirect, refused by _NoRedirects
        exc.close()
        status = exc.code
    except Exception as exc:  # unreachable, timed out: the person sees the "Working on it" only
        log.warning("late Slack answer not delivered: %s", type(exc).__name__)
        return False
    if not 200 <= status < 300:
        log.warning("late Slack answer refused by Slack: HTTP %s", status)
        return False
    return True
