"""The SCIM door's guard: a provider's bearer token, checked and rate limited per token.

Use as the SCIM blueprint's `before_request`: it answers 401 (no or unknown token) or 429 (the
token's bucket is empty) as SCIM error documents, or lets the request through with
`g.scim_provider` and `g.scim_token_id` set.
"""

from __future__ import annotations

import json

from flask import Response, g, request

from api.context import ctx
from api.ratelimit import retry_after_header
from storage.access import scim_tokens

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
SCIM_JSON = "application/scim+json"
CHALLENGE = 'Bearer realm="plaudit-scim"'


def check_bearer() -> Response | None:
    """None when the request carries an active SCIM token with requests left; else the refusal."""
    secret = _bearer(request.headers.get("Authorization", ""))
    if secret is None:
        return _unauthorized("Send the SCIM token Plaudit gave you: Authorization: Bearer <token>.")
    context = ctx()
    token = scim_tokens.verify(context.store, secret)
    if token is None:
        return _unauthorized("This SCIM token is unknown or was revoked.")
    config = context.config
    wait = context.limiter.check(f"scim:{token.id}", config.scim_rate_per_second, config.scim_rate_burst)
    if wait is not None:
        return scim_error(
            429,
            "Too many requests with this SCIM token; retry after the time in Retry-After.",
            {"Retry-After": retry_after_header(wait)},
        )
    g.scim_provider = token.provider
    g.scim_token_id = token.id
    return None


def scim_error(status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    """A SCIM error document (RFC 7644 section 3.12): the status as a string, and a detail."""
    body = {"schemas": [ERROR_SCHEMA], "status": str(status), "detail": detail}
    return Response(json.dumps(body), status=status, mimetype=SCIM_JSON, headers=headers or {})


def _unauthorized(detail: str) -> Response:
    return scim_error(401, detail, {"WWW-Authenticate": CHALLENGE})


def _bearer(header: str) -> str | None:
    scheme, _, credentials = header.strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() != "bearer" or not credentials or " " in credentials:
        return None
    return credentials
