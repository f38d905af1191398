"""The /scim/v2 blueprint: bearer auth, JSON bodies, SCIM error documents, application/scim+json."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, request
from pydantic import ValidationError
from scim2_models import Error, NotImplementedException, SCIMException, ScimPolicy
from werkzeug.exceptions import HTTPException

from api.scim import input_gate
from rewards import errors

SCIM_JSON = "application/scim+json"
PREFIX = "/scim/v2"

# How much a provider's payloads may depart from the RFCs: unknown attributes are dropped (Okta
# and Entra send their own), and Entra's PATCH forms are read the way Entra means them.
POLICY = ScimPolicy(
    unknown=ScimPolicy.Unknown.ignore,
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)

bp = Blueprint("scim", __name__, url_prefix=PREFIX)


def scim_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A SCIM answer: JSON as application/scim+json."""
    return Response(json.dumps(body), status=status, mimetype=SCIM_JSON, headers=headers)


def scim_error(status: int, detail: str, scim_type: str | None = None) -> Response:
    """A SCIM error document (RFC 7644 §3.12) with this status, detail and scimType."""
    error = Error(status=status, scim_type=scim_type, detail=detail)
    return scim_response(error.model_dump(), status)


def base_url() -> str:
    """This service's SCIM base URL, as the request reached it (for meta.location and $ref)."""
    return request.host_url.rstrip("/") + PREFIX


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a SCIM 400 invalidSyntax (413 when too big)."""
    raw = request.get_data(cache=True)  # raises 413 past MAX_CONTENT_LENGTH
    try:
        return input_gate.parsed_object(raw)
    except input_gate.UnreadableBody as exc:
        raise SCIMBadRequest(str(exc), "invalidSyntax") from None
    except input_gate.BadString as exc:
        raise SCIMBadRequest(_bad_string_detail(exc.attribute), "invalidValue") from None


def _bad_string_detail(attribute: str) -> str:
    return f"{attribute[:200]}: must not contain NUL or unpaired surrogate characters"


class SCIMBadRequest(Exception):
    """A request the SCIM handlers refuse before any model reads it."""

    def __init__(self, detail: str, scim_type: str | None = None, status: int = 400) -> None:
        super().__init__(detail)
        self.detail = detail
        self.scim_type = scim_type
        self.status = status


def domain_error(exc: errors.DomainError) -> Response:
    """A refusal of the domain as a SCIM error: duplicates are 409 uniqueness."""
    field = str(exc.details.get("field", ""))
    if exc.status == 409:
        return scim_error(409, exc.message + (f" ({_scim_name(field)})" if field else ""), "uniqueness")
    if exc.status == 404 and field:  # a reference to someone who does not exist
        return scim_error(400, exc.message + f" ({_scim_name(field)})", "invalidValue")
    if exc.status == 404:
        return scim_error(404, exc.message)
    return scim_error(400, exc.message, "invalidValue")


SCIM_NAMES = {
    "user_name": "userName",
    "email": "emails",
    "external_id": "employeeNumber",
    "manager_id": "manager",
    "slack_user_id": "slackUserId",
}


def _scim_name(field: str) -> str:
    return SCIM_NAMES.get(field, field)


@bp.before_request
def _authenticate() -> Response | None:
    from api.scim.auth import check_bearer

    return check_bearer()


@bp.before_request
def _gate_path_and_query() -> Response | None:
    """After authentication: a path id no record can have is 404, a query value that no
    attribute can hold is 400 naming the parameter."""
    for value in (request.view_args or {}).values():
        if isinstance(value, str) and not input_gate.clean(value):
            return scim_error(404, "No such resource.")
    for name, value in request.args.items(multi=True):
        if not (input_gate.clean(name) and input_gate.clean(value)):
            return scim_error(400, _bad_string_detail(name), "invalidValue")
    return None


@bp.errorhandler(SCIMException)
def _scim_exception(exc: SCIMException) -> Response:
    error = exc.to_error()
    return scim_response(error.model_dump(), int(error.status or 400))


@bp.errorhandler(ValidationError)
def _validation(exc: ValidationError) -> Response:
    first = Error.from_validation_errors(exc)[0]
    location = ".".join(str(part) for part in exc.errors()[0].get("loc", ()) if part != "body")
    detail = f"{location}: {first.detail}" if location else str(first.detail)
    return scim_error(int(first.status or 400), detail, first.scim_type or "invalidValue")


@bp.errorhandler(SCIMBadRequest)
def _bad_request(exc: SCIMBadRequest) -> Response:
    return scim_error(exc.status, exc.detail, exc.scim_type)


@bp.errorhandler(errors.DomainError)
def _domain(exc: errors.DomainError) -> Response:
    return domain_error(exc)


@bp.errorhandler(HTTPException)
def _http(exc: HTTPException) -> Response:
    status = exc.code or 500
    detail = {
        404: "No such resource.",
        405: "This method is not allowed here.",
        413: "The request body is too large.",
    }.get(status, exc.description or "The request was refused.")
    response = scim_error(status, detail, "invalidSyntax" if status == 400 else None)
    if status == 405 and exc.get_response().headers.get("Allow"):
        response.headers["Allow"] = exc.get_response().headers["Allow"]
    return response


METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@bp.route("/<path:anything>", methods=list(METHODS))
def _unknown(anything: str) -> Response:
    """Anything else under /scim/v2: 405 with Allow where the path exists, else 404."""
    allowed = _allowed_methods(request.path)
    if allowed:
        response = scim_error(405, "This method is not allowed here.")
        response.headers["Allow"] = ", ".join(allowed)
        return response
    return scim_error(404, "No such endpoint.")


@bp.post("/.search")
def _search_everything() -> Response:
    raise NotImplementedException(detail="Search one resource type at a time: POST /Users/.search.")


def _allowed_methods(path: str) -> list[str]:
    adapter = current_app.url_map.bind("localhost")
    allowed = []
    for method in METHODS:
        try:
            endpoint, _ = adapter.match(path, method=method)
        except HTTPException:
            continue
        if endpoint != "scim._unknown":
            allowed.append(method)
    return allowed
