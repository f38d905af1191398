"""Operational endpoints and hooks on the web app: request ids, metrics, /readyz, /metrics."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from flask import Flask, Response, g, jsonify, request

from plaudit.observability import logs, metrics
from storage.delivery.dispatch import oldest_pending
from storage.schema import migrate
from storage.store import Store

log = logging.getLogger("plaudit.http")


def instrument(app: Flask, store: Store, scheduler_role: Callable[[], str] | None = None) -> None:
    """Add request ids and metrics to every request, and the /readyz and /metrics endpoints."""
    registry = metrics.registry_for(store)

    @app.before_request
    def _start() -> None:
        g.plaudit_started = time.perf_counter()
        logs.new_request(request.headers.get("X-Request-Id"))
        if request.path == "/slack/events":
            logs.bind(**slack_ids(request.get_data(cache=True), request.content_type or ""))

    @app.after_request
    def _finish(response: Response) -> Response:
        started = g.pop("plaudit_started", None)
        route = request.url_rule.rule if request.url_rule else "unmatched"
        if started is not None:
            metrics.observe_request(
                route, request.method, response.status_code, time.perf_counter() - started
            )
        context = logs.request_context.get() or {}
        if context.get("request_id"):
            response.headers["X-Request-Id"] = context["request_id"]
        return response

    @app.get("/metrics")
    def _metrics():
        body, content_type = metrics.render(registry)
        return Response(body, content_type=content_type)

    @app.get("/readyz")
    def _ready():
        report, ready = readiness(store, scheduler_role)
        return jsonify(report), 200 if ready else 503


def slack_ids(body: bytes, content_type: str) -> dict[str, str | None]:
    """The Slack team and user a request comes from, for the log context (ids only)."""
    try:
        if "json" in content_type:
            data = json.loads(body)
            event = data.get("event") or {}
            return {"slack_team_id": data.get("team_id"), "slack_user_id": event.get("user")}
        form = dict(parse_qsl(body.decode()))
        if "payload" in form:
            payload = json.loads(form["payload"])
            return {
                "slack_team_id": (payload.get("team") or {}).get("id"),
                "slack_user_id": (payload.get("user") or {}).get("id"),
            }
        return {"slack_team_id": form.get("team_id"), "slack_user_id": form.get("user_id")}
    except (ValueError, AttributeError, UnicodeDecodeError):
        return {}  # not ours to judge: Bolt answers malformed requests


def readiness(store: Store, scheduler_role: Callable[[], str] | None) -> tuple[dict, bool]:
    """Database reachable, schema current, this process's scheduler role, outbox age."""
    if not store.ping():
        return {"status": "unavailable", "database": "unreachable"}, False
    pending = sorted(migrate.pending_revisions(store.engine))
    oldest = oldest_pending(store)
    age = (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0
    report = {
        "status": "ok" if not pending else "migrations pending",
        "database": "ok",
        "migrations": pending or "current",
        "scheduler": scheduler_role() if scheduler_role else "none",
        "outbox_oldest_pending_seconds": round(max(age, 0.0), 1),
    }
    return report, not pending
