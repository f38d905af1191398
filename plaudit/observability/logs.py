"""JSON-lines logging with request context (request id, Slack team/user, API client), redacted."""

from __future__ import annotations

import contextvars
import json
import logging
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


def new_request(request_id: str | None = None) -> str:
    rid = request_id if request_id and len(request_id) <= 64 else uuid.uuid4().hex
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
        return json.dumps(entry, ensure_ascii=False)


def _adapter_ids() -> dict[str, str]:
    """Ids the adapters leave on flask.g for this request (the API client, say)."""
    if not has_request_context():
        return {}
    client = g.get("client_id")
    return {"api_client_id": client} if client else {}


def configure(level: str = "INFO", stream=None) -> None:
    """Send every log record, ours and the libraries', through the JSON formatter."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
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
