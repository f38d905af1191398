"""The HTTP application factory: an OpenAPI-documented Flask app with health checks."""

from __future__ import annotations

from flask import jsonify
from flask_openapi3 import Info, OpenAPI

from storage.store import Store


def create_app(store: Store, *, title: str = "Plaudit API", version: str = "1") -> OpenAPI:
    """The Flask app every adapter mounts on; serves the OpenAPI document and /healthz."""
    app = OpenAPI(
        "plaudit", info=Info(title=title, version=version),
        doc_prefix="/api/docs", doc_url="/openapi.json",
    )
    app.extensions["plaudit.store"] = store

    @app.get("/healthz")
    def healthz():
        healthy = store.ping()
        body = {"status": "ok" if healthy else "unavailable",
                "database": "ok" if healthy else "unreachable"}
        return jsonify(body), 200 if healthy else 503

    return app
