"""The `Idempotency-Key` header: one effect per key and client, and the first answer replayed.

`idempotent` is the one mechanism every write route uses. A route whose key is required hands
it to its use case (`idempotency_key()`), whose ledger transaction carries it with the
request's fingerprint: the ledger's UNIQUE key makes a concurrent twin one effect, so nothing
is claimed first. A route whose key is optional writes no ledger key, so the key is claimed
before it runs and a concurrent twin waits its turn (409). Either way the answer is stored
(encrypted) for a repeat, except a success the use case answers again from the ledger.
"""

from __future__ import annotations

import functools
import hashlib
import json
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Response, g, make_response, request
from werkzeug.exceptions import HTTPException

from api.context import client_id, ctx
from api.problems import domain_problem, problem
from rewards.errors import DomainError, IdempotencyConflict
from storage.access import idempotency

HEADER = "Idempotency-Key"
KEPT_HEADERS = ("Location", "Content-Type")
View = TypeVar("View", bound=Callable[..., Any])


@dataclass
class _Attempt:
    """The request running under its key."""

    key: str  # as the domain knows it: unique across clients
    fingerprint: str
    carried: bool  # the use case's ledger transaction carries the key
    claim: idempotency.Record | None = None
    ledger_replays: bool = False
    replayed: bool = False


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


def idempotency_key(*, ledger_replays: bool = False) -> str:
    """The key for the use case to write with its ledger transaction (exactly once per key).

    `ledger_replays`: the use case answers a repeat from the ledger (calling `replayed`) and the
    view renders it again, so a success is not stored: one database transaction per success.
    """
    attempt: _Attempt = g.idempotency
    attempt.ledger_replays = ledger_replays
    return attempt.key


def replayed() -> None:
    """Tell `idempotent` the use case answered with the key's first result (its `on_replay`)."""
    g.idempotency.replayed = True


def idempotent(view: View) -> View:
    """Run the view once per (client, Idempotency-Key); a repeat gets the first answer again.

    The same key with another request is 422 `idempotency_key_reused`; a refusal (4xx) is kept
    and replayed like a success; a 5xx is not kept, so a retry runs again.
    """
    carried = _key_is_required(view)

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get(HEADER)
        if not key:
            return view(*args, **kwargs)
        store = ctx().store
        attempt = _Attempt(f"api:{client_id()}:{key}", request_fingerprint(), carried)
        if carried:
            seen = idempotency.find(store, client_id(), key)
            if seen is not None and not _success_supersedes(seen, attempt):
                return _repeat(seen, attempt.fingerprint)
        else:
            claimed, record = idempotency.claim(store, client_id(), key, attempt.fingerprint)
            if not claimed:
                return _repeat(record, attempt.fingerprint)
            attempt.claim = record
        g.idempotency = attempt
        try:
            response = _run(view, args, kwargs)
        except IdempotencyConflict:  # the key's ledger transaction came from another request
            _release(attempt)
            return _stored_refusal_or_reused()
        except BaseException:
            _release(attempt)
            raise
        return _settle(attempt, key, response)

    return typing.cast(View, wrapper)


def _key_is_required(view: Callable[..., Any]) -> bool:
    header = typing.get_type_hints(view).get("header")
    fields = getattr(header, "model_fields", {})
    return "idempotency_key" in fields and fields["idempotency_key"].is_required()


def _success_supersedes(seen: idempotency.Record, attempt: _Attempt) -> bool:
    """A stored refusal yields to a success its key committed since (a twin won the race)."""
    return seen.refused and idempotency.ledger_holds(ctx().store, attempt.key)


def _run(view: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Response:
    try:
        return make_response(view(*args, **kwargs))
    except IdempotencyConflict:
        raise
    except DomainError as exc:
        return domain_problem(exc)
    except HTTPException as exc:
        if exc.response is not None:
            return make_response(exc.response)
        raise


def _settle(attempt: _Attempt, key: str, response: Response) -> Response:
    store = ctx().store
    if response.status_code >= 500:
        _release(attempt)
        return response
    if attempt.replayed:
        response.headers["Idempotent-Replayed"] = "true"
        return response
    body, kept = response.get_data(as_text=True), _kept(response)
    if attempt.claim is not None:
        idempotency.complete(store, attempt.claim.id, response.status_code, body, kept)
        return response
    if response.status_code < 300 and attempt.ledger_replays:
        return response  # the ledger holds this success and the view renders it again
    stored = idempotency.record(
        store, client_id(), key, attempt.fingerprint, response.status_code, body, kept
    )
    if not stored and response.status_code >= 400 and not idempotency.ledger_holds(store, attempt.key):
        return _stored_refusal_or_reused()  # a twin's refusal came first: the key keeps it
    return response


def _release(attempt: _Attempt) -> None:
    if attempt.claim is not None:
        idempotency.release(ctx().store, attempt.claim.id)


def _stored_refusal_or_reused() -> Response:
    seen = idempotency.find(ctx().store, client_id(), request.headers.get(HEADER, ""))
    return _reused() if seen is None else _repeat(seen, request_fingerprint())


def _kept(response: Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k in KEPT_HEADERS}


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
