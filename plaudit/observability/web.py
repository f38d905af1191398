"""Operational endpoints and hooks on the web app: request ids, metrics, /readyz, /metrics."""

from __future__ import annotations

import hmac
import json
import logging
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from flask import Flask, Response, current_app, g, jsonify, request
from slack_bolt.error import BoltError
from slack_bolt.request import BoltRequest

from plaudit.observability import logs, metrics
from storage.delivery.dispatch import oldest_pending
from storage.schema import migrate
from storage.store import Store

log = logging.getLogger("plaudit.http")


def instrument(app: Flask, store: Store, scheduler_role: Callable[[], str] | None = None) -> None:
    """Add request ids and metrics to every request, and the /readyz and /metrics endpoints."""
    registry = metrics.registry_for(store)

    @app.before_request
    def _start() -> Response | None:
        g.plaudit_started = time.perf_counter()
        logs.new_request(request.headers.get("X-Request-Id"))
        refusal = ops_refusal()
        if refusal is not None:
            return refusal
        if request.path == "/slack/events" and request.method == "POST":
            body = request.get_data(cache=True)
            if not well_formed_slack_request(body, request.content_type or "", request.headers):
                return Response("malformed Slack request", status=400, mimetype="text/plain")
            logs.bind(**slack_ids(body, request.content_type or ""))
        return None

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
        report.update(outside_services(app.extensions.get("readiness_checks", {}), report["status"]))
        return jsonify(report), 200 if ready else 503


def ops_refusal() -> Response | None:
    """Keep /metrics and /readyz to the ops listener and the metrics token, when configured.

    With PLAUDIT_OPS_PORT set, the ops endpoints answer only on that port and it answers
    nothing else; with PLAUDIT_METRICS_TOKEN set, they want `Authorization: Bearer <token>`.
    """
    settings = current_app.config.get("PLAUDIT_SETTINGS")
    if settings is None:
        return None
    ops = request.path in ("/metrics", "/readyz")
    if settings.ops_port:
        # The listener's own port, as gunicorn set it, not one a forwarded header claimed.
        environ = request.environ.get("werkzeug.proxy_fix.orig") or request.environ
        on_ops_port = str(environ.get("SERVER_PORT")) == str(settings.ops_port)
        if ops != on_ops_port and request.path != "/healthz":
            return Response("not found", status=404, mimetype="text/plain")
    if ops and settings.metrics_token:
        sent = request.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(sent, f"Bearer {settings.metrics_token}".encode()):
            return Response(
                "send Authorization: Bearer <PLAUDIT_METRICS_TOKEN>",
                status=401,
                mimetype="text/plain",
                headers={"WWW-Authenticate": 'Bearer realm="plaudit-ops"'},
            )
    return None


def well_formed_slack_request(body: bytes, content_type: str, headers) -> bool:
    """Whether Bolt can read the request far enough to check its signature.

    Bolt parses the body (JSON when the type says so or the body starts with `{`, a form's
    `payload=` as JSON) and reads ids out of it before verifying anything, and answers 500 when
    that fails; refusing here, by building the very request Bolt builds, makes it a plain 400.
    """
    timestamp = headers.get("X-Slack-Request-Timestamp")
    if timestamp is not None and not (timestamp.isascii() and timestamp.isdigit()):
        return False
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    try:
        parsed = BoltRequest(body=text, headers={"content-type": content_type}).body
    except (ValueError, TypeError, AttributeError, KeyError, IndexError, BoltError):
        return False  # JSONDecodeError is a ValueError; the rest come from reading a wrong shape
    return isinstance(parsed, dict)


SLACK_ID = re.compile(r"[A-Z0-9]{1,32}")


def slack_ids(body: bytes, content_type: str) -> dict[str, str | None]:
    """The Slack team and user a request comes from, for the log context (ids only).

    The body is not verified yet, so a value not shaped like a Slack id is left out: an
    unsigned request cannot write its text into the logs.
    """
    return {
        name: value if isinstance(value, str) and SLACK_ID.fullmatch(value) else None
        for name, value in _claimed_ids(body, content_type).items()
    }


def _claimed_ids(body: bytes, content_type: str) -> dict[str, str | None]:
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
    except (ValueError, AttributeError, TypeError, UnicodeDecodeError):
        return {}  # not ours to judge: Bolt answers malformed requests


def outside_services(checks: dict[str, Callable[[], str | None]], status: str) -> dict:
    """Each outside service the server started without (Slack): "ok" or what is wrong.

    One that is not usable yet leaves the status code alone, since the HR API serves without
    it; an "ok" status becomes "degraded" and `waiting_for` names the services.
    """
    problems = {name: check() for name, check in checks.items()}
    report: dict = {name: problem or "ok" for name, problem in problems.items()}
    waiting = sorted(name for name, problem in problems.items() if problem)
    if waiting:
        report["waiting_for"] = waiting
        if status == "ok":
            report["status"] = "degraded"
    return report


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
