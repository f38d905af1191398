"""JSON-lines logging with request context (request id, Slack team/user, API client), redacted."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import g, has_request_context

from plaudit.observability.redaction import redact

request_context: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "plaudit_request_context", default=None
)
CONTEXT_KEYS = ("request_id", "slack_team_id", "slack_user_id", "api_client_id", "route")


def bind(**values: str | None) -> None:
    """Add ids to the current request's log context (never personal data)."""
    current = dict(request_context.get() or {})
    current.update({k: v for k, v in values.items() if v})
    request_context.set(current)


_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def new_request(request_id: str | None = None) -> str:
    """Start a request's log context, keeping the caller's X-Request-Id only if it is plain."""
    rid = request_id if request_id and _REQUEST_ID.fullmatch(request_id) else uuid.uuid4().hex
    request_context.set({"request_id": rid})
    return rid


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        entry.update(request_context.get() or {})
        entry.update(_adapter_ids())
        if record.exc_info:
            entry["error"] = redact(self.formatException(record.exc_info))
        line = json.dumps(entry, ensure_ascii=False)
        # JSON leaves these raw, yet some readers break lines on them.
        return line.replace("\u0085", "\\u0085").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


class TextFormatter(logging.Formatter):
    """One line per record for a person at a terminal: redacted, with every control character
    escaped, so a message carrying CR/LF cannot forge a line of its own."""

    def format(self, record: logging.LogRecord) -> str:
        fields = {**(request_context.get() or {}), **_adapter_ids()}
        line = f"{record.levelname} {record.name}: {one_line(redact(record.getMessage()))}"
        if fields:
            line += " [" + " ".join(f"{k}={one_line(v)}" for k, v in fields.items()) + "]"
        if record.exc_info:
            line += " | " + one_line(redact(self.formatException(record.exc_info)))
        return line


_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029\\]")


def one_line(text: str) -> str:
    """`text` with backslashes and control characters escaped (`\\n`, `\\x1b`)."""
    return _CONTROL.sub(_escape, str(text))


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}
    if char in named:
        return named[char]
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def _adapter_ids() -> dict[str, str]:
    """Ids the adapters leave on flask.g for this request (the API client, say)."""
    if not has_request_context():
        return {}
    client = g.get("client_id")
    return {"api_client_id": client} if client else {}


def configure(level: str = "INFO", stream=None, fmt: str = "json") -> None:
    """Send every log record, ours and the libraries', through the JSON (or text) formatter."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(TextFormatter() if fmt == "text" else JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    quiet_leaky_libraries()


def quiet_leaky_libraries() -> None:
    """Libraries that log secrets or whole payloads at DEBUG never log below INFO or WARNING."""
    # authlib logs each issued access token at DEBUG ("Issue token {... 'access_token': …}").
    # slack_bolt and slack_sdk log request and response bodies (user names among them) at DEBUG.
    for name, floor in (
        ("authlib", logging.INFO),
        ("slack_bolt", logging.INFO),
        ("slack_sdk", logging.INFO),
        ("urllib3", logging.WARNING),
    ):
        logging.getLogger(name).setLevel(floor)
