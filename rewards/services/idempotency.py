"""Run a write at most once per idempotency key, and replay the first result on a repeat."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

from rewards import errors
from rewards.model import LedgerTransaction
from rewards.ports import DuplicateKey, UnitOfWork

T = TypeVar("T")


def fingerprint(**request: Any) -> str:
    """A stable digest of a request's meaningful fields."""
    canonical = json.dumps(request, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def run_once(
    uow: UnitOfWork,
    key: str,
    digest: str,
    perform: Callable[[], T],
    replay: Callable[[LedgerTransaction], T],
    *,
    always_posts: bool = False,
) -> T:
    """Commit `perform()` unless `key` was committed before; then return `replay(first)`.

    When `perform` may return without posting (nothing to do), the key is looked up first.
    When it always posts one transaction carrying `key` (`always_posts=True`), the look-up is
    skipped: the UNIQUE key refuses a repeat, which is then replayed. Repeats are rare, so the
    hot paths (recognition, awards, redemptions) save a query on every first use.
    """
    if not key:
        raise ValueError("an idempotency key is required")
    refusal: errors.DomainError | None = None
    with uow:
        if not always_posts:
            existing = uow.ledger.find(key)
            if existing is not None:
                return _replay_checked(existing, digest, replay)
        try:
            result = perform()
            uow.commit()
            return result
        except DuplicateKey:
            pass  # another request committed this key first: replay theirs
        except errors.DomainError as exc:
            # A concurrent first use of this key may have changed what we saw (it spent the
            # balance, say): if it committed, the caller gets its result, not our refusal.
            refusal = exc
    with uow:
        existing = uow.ledger.find(key)
        if existing is None:
            if refusal is not None:
                raise refusal
            raise RuntimeError("duplicate idempotency key reported but not found")
        return _replay_checked(existing, digest, replay)


def _replay_checked(existing: LedgerTransaction, digest: str, replay: Callable[[LedgerTransaction], T]) -> T:
    if existing.fingerprint and existing.fingerprint != digest:
        raise errors.IdempotencyConflict("This idempotency key was already used for a different request.")
    return replay(existing)
