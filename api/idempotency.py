"""The `Idempotency-Key` header: one effect per key and client, and the first response replayed."""

from __future__ import annotations

import functools
import hashlib
import json

from flask import Response, g, make_response, request
from werkzeug.exceptions import HTTPException

from api.context import client_id, ctx
from api.problems import domain_problem, problem
from rewards.errors import DomainError, IdempotencyConflict
from storage.access import idempotency

HEADER = "Idempotency-Key"
KEPT_HEADERS = ("Location", "Content-Type")


def request_fingerprint() -> str:
    """A digest of what the request asks for: method, path, query and the JSON body's meaning."""
    raw = request.get_data(cache=True)
    parsed = request.get_json(silent=True) if raw else None  # parsed once, cached by Flask
    if parsed is not None:
        body = json.dumps(parsed, sort_keys=True, separators=(",", ":"))
    else:
        body = raw.decode("utf-8", "replace")
    canonical = f"{request.method}\n{request.path}\n{request.query_string.decode()}\n{body}"
    return hashlib.sha256(canonical.encode()).hexdigest()


def domain_key() -> str | None:
    """The key the domain's `run_once` gets for this request (None without the header)."""
    return g.get("domain_key")


def idempotent(view):
    """Run the view once per (client, Idempotency-Key); replay its response on a repeat.

    The key is claimed before the view runs, so a concurrent twin waits its turn (409).
    """

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        if not key:
            return view(*args, **kwargs)
        store = ctx().store
        fingerprint = request_fingerprint()
        claimed, record = idempotency.claim(store, client_id(), key, fingerprint)
        if not claimed:
            return _repeat(record, fingerprint)
        g.domain_key = f"api:{client_id()}:{key}"
        try:
            response = _run(view, args, kwargs)
        except BaseException:
            idempotency.release(store, record.id)
            raise
        if response.status_code >= 500:
            idempotency.release(store, record.id)
            return response
        idempotency.complete(
            store, record.id, response.status_code, response.get_data(as_text=True), _kept(response)
        )
        return response

    return wrapper


def idempotent_ledger(view):
    """Like `idempotent`, for views whose effect is one ledger transaction keyed by `domain_key()`.

    The ledger's UNIQUE key already makes concurrent twins one effect (the loser replays the
    winner's result), so no claim is written first: one database round trip fewer per request.
    """

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        store = ctx().store
        fingerprint = request_fingerprint()
        seen = idempotency.find(store, client_id(), key)
        if seen is not None:
            return _repeat(seen, fingerprint)
        g.domain_key = f"api:{client_id()}:{key}"
        response = _run(view, args, kwargs)
        if response.status_code < 500:
            idempotency.record(
                store,
                client_id(),
                key,
                fingerprint,
                response.status_code,
                response.get_data(as_text=True),
                _kept(response),
            )
        return response

    return wrapper


def idempotent_by_ledger(view):
    """For views whose success is one ledger transaction keyed by `domain_key()` and carrying
    `request_fingerprint()`: the ledger is the only record of a success, and a repeat re-renders
    it (the view calls `mark_replayed()` when the service replayed), so a success writes one
    database transaction. Refusals (4xx) are stored and looked up first: a refused key stays
    refused (with the first answer), even once the cause of the refusal is gone.
    """

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        refused = _refused_again()
        if refused is not None:
            return refused
        g.domain_key = f"api:{client_id()}:{request.headers.get(HEADER)}"
        try:
            response = make_response(view(*args, **kwargs))
        except IdempotencyConflict:  # the key's transaction came from another request
            return _refused_again() or _reused()
        except DomainError as exc:
            response = domain_problem(exc)
        if response.status_code < 300:
            if g.get("replayed"):
                response.headers["Idempotent-Replayed"] = "true"
            return response
        if response.status_code >= 500:
            return response
        return _refused_again() or _record_refusal(response)

    return wrapper


def mark_replayed() -> None:
    """Tell `idempotent_by_ledger` this response repeats the key's first result."""
    g.replayed = True


def _refused_again() -> Response | None:
    """The stored first refusal of this key (or 422 if it was another request), if there is
    one and no success holds the key: a success wins a race with a twin that was refused."""
    key = request.headers.get(HEADER)
    seen = idempotency.find(ctx().store, client_id(), key)
    if seen is None or idempotency.ledger_holds(ctx().store, f"api:{client_id()}:{key}"):
        return None
    return _repeat(seen, request_fingerprint())


def _record_refusal(response: Response) -> Response:
    idempotency.record(
        ctx().store,
        client_id(),
        request.headers.get(HEADER),
        request_fingerprint(),
        response.status_code,
        response.get_data(as_text=True),
        _kept(response),
    )
    return response


def _kept(response: Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k in KEPT_HEADERS}


def _run(view, args, kwargs) -> Response:
    try:
        return make_response(view(*args, **kwargs))
    except IdempotencyConflict:  # a concurrent twin with another body won the ledger key
        return _reused()
    except DomainError as exc:
        return domain_problem(exc)
    except HTTPException as exc:
        if exc.response is not None:
            return exc.response
        raise


def _repeat(record: idempotency.Record, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        return _reused()
    if record.pending:
        return problem(
            409,
            "idempotency_key_in_use",
            "A request with this key is in progress.",
            "Retry shortly to get its result.",
            {"Retry-After": "1"},
        )
    response = Response(record.body, status=record.status)
    for name, value in (record.headers or {}).items():
        response.headers[name] = value
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _reused() -> Response:
    return problem(
        422,
        "idempotency_key_reused",
        "Idempotency key reused.",
        "This Idempotency-Key was already used with a different request; use a new key for a new request.",
    )
