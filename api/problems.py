"""Errors as RFC 9457 problem details (`application/problem+json`), with a stable `code`."""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Flask, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from werkzeug.exceptions import HTTPException

from rewards.errors import DomainError

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("plaudit.api")


class FieldProblem(BaseModel):
    field: str = Field(description="Where the bad value is, e.g. `body.items.3.points`.")
    message: str
    type: str


class Problem(BaseModel):
    """An error response (RFC 9457). `code` is stable; `detail` is for a person."""

    model_config = ConfigDict(extra="allow")
    type: str = Field(description="A URI naming the kind of problem: `urn:plaudit:problem:<code>`.")
    title: str
    status: int
    code: str
    detail: str | None = None
    errors: list[FieldProblem] | None = None


def problem(
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body = {"type": f"urn:plaudit:problem:{code}", "title": title, "status": status, "code": code}
    if detail:
        body["detail"] = detail
    body.update({k: v for k, v in extra.items() if v is not None})
    response = Response(json.dumps(body, default=str), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def validation_problem(exc: ValidationError) -> Response:
    """A 422 naming each bad field, e.g. `body.items.3.points` or `header.Idempotency-Key`
    (for the first failing part of the request)."""
    part = _part(exc.title)
    errors = [
        {"field": ".".join([part, *(str(p) for p in err["loc"])]), "message": err["msg"], "type": err["type"]}
        for err in exc.errors()
    ]
    fields = ", ".join(e["field"] for e in errors)
    return problem(
        422, "validation_error", "The request is not valid.", f"Check these fields: {fields}.", errors=errors
    )


def domain_problem(exc: DomainError) -> Response:
    details: dict[str, Any] = {
        k: v for k, v in exc.details.items() if isinstance(v, str | int | float | bool)
    }
    return problem(exc.status, exc.code, _title(exc.code), exc.message, **details)


def http_problem(exc: HTTPException) -> Response:
    code = (exc.name or "error").lower().replace(" ", "_")
    headers = {
        k: v
        for k, v in exc.get_response().headers.items()
        if k.lower() not in ("content-type", "content-length")
    }
    return problem(exc.code or 500, code, exc.name or "Error", exc.description, headers=headers)


def register(app: Flask) -> None:
    """Answer every error on the app with problem+json, never a stack trace."""

    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        return domain_problem(exc)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if exc.response is not None and exc.response.mimetype == PROBLEM_JSON:
            return exc.response  # already a problem (validation, auth)
        return http_problem(exc)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error")
        return problem(
            500,
            "internal_error",
            "Something went wrong on our side.",
            "The error was logged; retrying with the same Idempotency-Key is safe.",
        )


def _part(model_name: str) -> str:
    """Which part of the request a model describes, by the naming convention of api.schemas."""
    for suffix, part in (("Header", "header"), ("Query", "query"), ("Path", "path")):
        if model_name.endswith(suffix):
            return part
    return "body"


def _title(code: str) -> str:
    return code.replace("_", " ").capitalize() + "."
