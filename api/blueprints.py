"""API blueprints with the shared guards: bearer token and scope, rate limit, JSON bodies."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import g, request
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel
from werkzeug.exceptions import BadRequest

from api.context import ctx
from api.oauth import authenticate
from api.problems import Problem, problem
from api.ratelimit import retry_after_header

READ_METHODS = ("GET", "HEAD", "OPTIONS")
BODY_METHODS = ("POST", "PUT", "PATCH")

SHARED_RESPONSES: dict[str | int | HTTPStatus, type[BaseModel] | dict[Any, Any] | None] = {
    400: Problem,
    401: Problem,
    403: Problem,
    404: Problem,
    409: Problem,
    415: Problem,
    422: Problem,
    429: Problem,
}


def api_blueprint(
    name: str, tag: str, read_scope: str, write_scope: str, url_prefix: str = "/api/v1"
) -> APIBlueprint:
    """A blueprint whose routes need `read_scope` to read and `write_scope` to change things."""
    bp = APIBlueprint(
        name,
        __name__,
        url_prefix=url_prefix,
        abp_tags=[Tag(name=tag)],
        abp_responses=SHARED_RESPONSES,
    )

    @bp.before_request
    def _guard():
        scope = read_scope if request.method in READ_METHODS else write_scope
        refusal = authenticate(ctx().protector, scope)
        if refusal is not None:
            return refusal
        return _rate_limited() or _bad_body()

    return bp


def security(scope: str) -> list[dict[str, list[str]]]:
    return [{"oauth2": [scope]}]


def granted(scope: str) -> bool:
    """Whether this request's token holds `scope` (a write scope does not imply the read one)."""
    return scope in g.get("scopes", frozenset())


def _rate_limited():
    config = ctx().config
    wait = ctx().limiter.check(g.client_id, config.rate_limit_per_second, config.rate_limit_burst)
    if wait is None:
        return None
    return problem(
        429,
        "rate_limited",
        "Too many requests.",
        "This client sent too many requests; wait and retry.",
        {"Retry-After": retry_after_header(wait)},
    )


def _bad_body():
    if request.method not in BODY_METHODS:
        return None
    if request.content_length is None and not request.get_data(cache=True):
        return None  # no body: the route's validation says what is missing
    if request.mimetype != "application/json":
        return problem(
            415, "unsupported_media_type", "Send JSON.", "The request body must be application/json."
        )
    try:
        request.get_json(force=False, silent=False)
    except BadRequest:
        return problem(
            400,
            "malformed_json",
            "The body is not valid JSON.",
            "The request body could not be parsed as JSON.",
        )
    return None
