"""The HTTP application factory: an OpenAPI-documented Flask app with health checks."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, redirect, request
from flask_openapi3 import Info, OpenAPI
from flask_openapi3.models import SecurityScheme
from werkzeug.routing import BaseConverter

from api import oauth, problems, scim
from api.config import SCOPES, ApiConfig
from api.context import EXTENSION, ApiContext
from api.credentials import carries_valid_credential
from api.docs_page import INDEX_HTML
from api.problems import Problem, problem
from api.ratelimit import AddressLimit, RateLimiter, retry_after_header
from api.scim.auth import scim_error
from api.spec import finalize
from rewards.policy import RedemptionPolicy
from rewards.services.allowance import AllowanceTerms
from storage.store import Store

SPEC_PATH = "/api/v1/openapi.json"
ADDRESS_LIMIT = "plaudit.address_limit"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}

SECURITY_SCHEMES: dict[str, SecurityScheme | dict[str, Any]] = {
    "oauth2": {
        "type": "oauth2",
        "description": "Client credentials: POST /oauth/token with your client id and secret.",
        "flows": {
            "clientCredentials": {"tokenUrl": "/oauth/token", "scopes": {scope: scope for scope in SCOPES}}
        },
    },
}


def create_app(
    store: Store,
    *,
    title: str = "Plaudit API",
    version: str = "1",
    config: ApiConfig | None = None,
    redemption_policy: RedemptionPolicy | None = None,
    address_limit: AddressLimit | None = None,
) -> OpenAPI:
    """The Flask app every adapter mounts on; serves the HR API, its OpenAPI document and /healthz."""
    config = config or ApiConfig()
    app = OpenAPI(
        "plaudit",
        info=Info(
            title=title, version=version, description="Plaudit's API for HR systems. Guide: docs/api.md."
        ),
        doc_prefix="/api/docs",
        doc_url="/openapi.json",
        security_schemes=SECURITY_SCHEMES,
        validation_error_callback=problems.validation_problem,
    )
    app.config.update(
        MAX_CONTENT_LENGTH=config.max_body_bytes,
        JSON_SORT_KEYS=False,
        SWAGGER_CONFIG={"validatorUrl": None},
        OPENAPI_HTML_STRING=INDEX_HTML,
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]  # DefaultJSONProvider has it; the base type does not
    app.url_map.converters["hr_id"] = HrIdConverter
    app.extensions["plaudit.store"] = store
    context = ApiContext(
        store=store, config=config, redemption_policy=redemption_policy or RedemptionPolicy()
    )
    app.extensions[EXTENSION] = context
    context.protector = oauth.install(app, store, lambda: context.config.token_lifetime_seconds)
    problems.register(app)
    _limit_unauthenticated(app, address_limit or AddressLimit())
    _secure_headers(app)
    _register_routes(app)

    @app.get("/healthz", doc_ui=False)
    def healthz():
        healthy = store.ping()
        body = {"status": "ok" if healthy else "unavailable", "database": "ok" if healthy else "unreachable"}
        return jsonify(body), 200 if healthy else 503

    def openapi_document():
        if not app.extensions.get("plaudit.spec_final"):
            finalize(app.api_doc, [Problem, *_extra_models()])
            app.extensions["plaudit.spec_final"] = True
        return jsonify(app.api_doc)

    app.add_url_rule(SPEC_PATH, "openapi_v1", openapi_document)
    app.view_functions["openapi.doc_url"] = openapi_document
    app.add_url_rule("/api/docs", "docs_root", lambda: redirect("/api/docs/", code=308))
    return app


class HrIdConverter(BaseConverter):
    """An employee's HR id in a path; never the word `bulk`, which names the bulk endpoint."""

    regex = r"(?!bulk$)[A-Za-z0-9._:@-]{1,200}"


def configure(app: OpenAPI, settings, store: Store) -> None:
    """Mount hook: apply the API's settings (PLAUDIT_API_*), the redemption and allowance policies."""
    context: ApiContext = app.extensions[EXTENSION]
    context.config = ApiConfig.from_mapping(settings.extra)
    context.redemption_policy = settings.redemption
    context.recognition_policy = settings.recognition
    context.allowance = AllowanceTerms(settings.allowance, settings.timezone)
    app.config["MAX_CONTENT_LENGTH"] = context.config.max_body_bytes
    app.extensions[ADDRESS_LIMIT] = AddressLimit(settings.auth_rate_limit, settings.auth_rate_burst)


def _limit_unauthenticated(app: OpenAPI, limit: AddressLimit) -> None:
    """Per address: every token request, and every API request refused as unauthenticated,
    spends from one bucket; while it is empty both get 429. A call carrying a valid API or SCIM
    token spends nothing and is never refused here: identity providers share egress addresses,
    so one tenant's bad tokens must not lock out another's good ones."""
    app.extensions[ADDRESS_LIMIT] = limit
    limiter = RateLimiter()

    def guarded() -> bool:
        return request.path == "/oauth/token" or request.path.startswith(("/api/v1/", "/scim/"))

    @app.before_request
    def _refuse_when_spent():
        limit = app.extensions[ADDRESS_LIMIT]
        if not guarded():
            return None
        wait = limiter.peek(_address(), limit.rate, limit.burst)
        if wait is None:
            return None
        if request.path != "/oauth/token" and carries_valid_credential(app.extensions["plaudit.store"]):
            return None
        if request.path.startswith("/scim/"):
            return scim_error(
                429,
                "Too many unauthenticated calls from this address; wait and retry.",
                {"Retry-After": retry_after_header(wait)},
            )
        return problem(
            429,
            "rate_limited",
            "Too many requests.",
            "Too many token requests or unauthenticated calls from this address; wait and retry.",
            {"Retry-After": retry_after_header(wait)},
        )

    @app.after_request
    def _spend(response: Response) -> Response:
        limit = app.extensions[ADDRESS_LIMIT]
        if guarded() and (request.path == "/oauth/token" or response.status_code == 401):
            limiter.spend(_address(), limit.rate, limit.burst)
        return response


def _address() -> str:
    return request.remote_addr or "unknown"


def _secure_headers(app: OpenAPI) -> None:
    """Every answer: no sniffing, no framing, no referrer, and nothing kept in caches (API
    answers carry personal data; the docs page is no different)."""

    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.path.startswith(("/api/", "/oauth/", "/scim/")) or request.path == "/api":
            response.headers["Cache-Control"] = "no-store"
        return response


def _extra_models():
    from api.routes.reports import ReportOut

    return [ReportOut]


def _register_routes(app: OpenAPI) -> None:
    from api.routes import (
        awards,
        catalog,
        employees,
        ledger,
        milestone_rules,
        redemptions,
        reports,
        webhooks,
    )

    for module in (employees, awards, catalog, redemptions, ledger, reports, webhooks, milestone_rules):
        app.register_api(module.bp)
    app.register_blueprint(scim.routes())
