"""The HTTP application factory: an OpenAPI-documented Flask app with health checks."""

from __future__ import annotations

from typing import Any

from flask import jsonify, redirect
from flask_openapi3 import Info, OpenAPI
from flask_openapi3.models import SecurityScheme
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import BaseConverter

from api import oauth, problems
from api.config import SCOPES, ApiConfig
from api.context import EXTENSION, ApiContext
from api.docs_page import INDEX_HTML
from api.problems import Problem
from api.spec import finalize
from rewards.policy import RedemptionPolicy
from rewards.services.allowance import AllowanceTerms
from storage.store import Store

SPEC_PATH = "/api/v1/openapi.json"

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
    _register_routes(app)
    if config.trusted_proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # Flask documents wrapping wsgi_app
            app.wsgi_app,
            x_for=config.trusted_proxies,
            x_proto=config.trusted_proxies,
            x_host=config.trusted_proxies,
        )

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
    context.allowance = AllowanceTerms(settings.allowance, settings.timezone)
    app.config["MAX_CONTENT_LENGTH"] = context.config.max_body_bytes


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
