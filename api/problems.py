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
        {
            "field": ".".join([part, *(str(p) for p in err["loc"])]),
            "message": sentence(err),
            "type": err["type"],
        }
        for err in exc.errors()
    ]
    fields = "; ".join(f"{e['field']} {e['message']}" for e in errors)
    return problem(
        422, "validation_error", "The request is not valid.", f"Check these fields: {fields}.", errors=errors
    )


# What a value must look like, for each pattern the request models use (a pattern itself is
# not something a person should have to read).
PATTERN_SENTENCES = {
    r"\S": "must not be blank",
    r"^[A-Za-z0-9._:@-]+$": "must be an HR id such as E-1001: letters, digits and . _ : @ - only",
    r"^[^@\s]+@[^@\s]+$": "must be an email address such as ana@example.com",
    r"^[UW][A-Z0-9]+$": "must be a Slack user id such as U012ABC",
    r"^[A-Z]{2}$": "must be a two-letter country code in capitals, such as PT",
    r"^[a-z0-9][a-z0-9_-]*$": (
        "must be lower-case letters, digits, - and _, starting with a letter or digit, such as ten-years"
    ),
    r"^[1-9][0-9]{0,5}$": 'must be a whole number from 1 to 999999, written as a string such as "10"',
}
DATE = "must be a date written YYYY-MM-DD, such as 2026-03-01"
DATETIME = "must be an ISO 8601 date-time with an offset, such as 2026-03-01T00:00:00Z"
# Sentences by pydantic error type; `{…}` names come from the error's context.
TYPE_SENTENCES = {
    "missing": "is required",
    "extra_forbidden": "is not a field of this request (check the spelling)",
    "string_type": "must be a string",
    "string_too_short": "must not be empty",
    "string_too_long": "must be at most {max_length} characters",
    "too_short": "must have at least {min_length} item(s)",
    "too_long": "must have at most {max_length} items",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "greater_than_equal": "must be at least {ge}",
    "greater_than": "must be more than {gt}",
    "less_than_equal": "must be at most {le}",
    "less_than": "must be less than {lt}",
    "literal_error": "must be one of {expected}",
    "enum": "must be one of {expected}",
    "dict_type": "must be a JSON object",
    "model_type": "must be a JSON object",
    "model_attributes_type": "must be a JSON object",
    "list_type": "must be a JSON array",
    "set_type": "must be a JSON array",
    "tuple_type": "must be a JSON array",
    "none_required": "must be null",
    "json_invalid": "is not valid JSON",
    "json_type": "must be JSON",
    "url_type": "must be a URL such as https://hr.example.com/hooks",
    "url_parsing": "must be a URL such as https://hr.example.com/hooks",
    "url_scheme": "must be an http or https URL",
    "url_too_long": "must be at most {max_length} characters",
    "date_type": DATE,
    "date_parsing": DATE,
    "date_from_datetime_parsing": DATE,
    "date_from_datetime_inexact": DATE,
    "datetime_type": DATETIME,
    "datetime_parsing": DATETIME,
    "datetime_from_date_parsing": DATETIME,
    "timezone_aware": "must carry a UTC offset, e.g. Z or +02:00",
}
NOT_VALID = "is not valid here"


def sentence(err: Any) -> str:
    """A sentence for one pydantic error, never a regular expression or a class name."""
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "string_pattern_mismatch":
        return PATTERN_SENTENCES.get(str(ctx.get("pattern")), "is not in the accepted format")
    if kind in ("value_error", "assertion_error") and isinstance(ctx.get("error"), Exception):
        return str(ctx["error"])  # our own validators already speak in sentences
    template = TYPE_SENTENCES.get(kind)
    if template is None:
        return NOT_VALID
    try:
        return template.format(**ctx)
    except (KeyError, IndexError, ValueError):
        return NOT_VALID


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
