"""SCIM bearer tokens: one long-lived random secret per identity provider, kept as a SHA-256 digest.

The secret is shown once, when created, and never stored, logged or shown again. A request's
token is found by the digest of what it presents and compared in constant time. `last_used_at`
is written at most once a minute per token and process, so a provider's burst of requests costs
no write per request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from storage.database.engine import read_only
from storage.schema.api_access import ScimTokenRow
from storage.store import Store

PREFIX = "scim_"
MAX_PROVIDER = 200
MAX_SECRET = 200  # far longer than any secret made here: a longer one is not looked up at all
# A verified token is trusted for this long without asking the database again, so a token
# revoked by another process (the CLI, another worker) is refused within this many seconds; a
# revoke in this process forgets it at once.
CACHE_SECONDS = 5.0
CACHE_SIZE = 1000
TOUCH_EVERY = timedelta(seconds=60)

S = ScimTokenRow.__table__
BY_HASH = select(S).where(S.c.token_hash == bindparam("token_hash"))


@dataclass(frozen=True)
class ScimToken:
    """A provider's token as Plaudit knows it: never its secret."""

    id: int
    provider: str
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def digest(secret: str) -> str:
    """The SHA-256 digest (hex) under which a secret is stored and looked up."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(store: Store, provider: str) -> tuple[ScimToken, str]:
    """A new token for this identity provider, and its secret (returned once, never stored)."""
    name = provider.strip() if isinstance(provider, str) else ""
    if not name or len(name) > MAX_PROVIDER:
        raise ValueError(f"the provider's name must be 1 to {MAX_PROVIDER} characters")
    secret = f"{PREFIX}{secrets.token_urlsafe(32)}"
    now = store.clock.now()
    with store.uow() as uow:
        token_id = (
            uow.session.connection()
            .execute(
                insert(S).values(provider=name, token_hash=digest(secret), created_at=now).returning(S.c.id)
            )
            .scalar_one()
        )
        uow.commit()
    return ScimToken(token_id, name, now), secret


def verify(store: Store, secret: str) -> ScimToken | None:
    """The active token whose secret this is, or None; notes when it was last used."""
    if not secret or len(secret) > MAX_SECRET:
        return None
    token_hash = digest(secret)
    token = _recent.get(store, token_hash)
    if token is None:
        with read_only(store.engine).connect() as conn:
            row = conn.execute(BY_HASH, {"token_hash": token_hash}).first()
        # The row was found by this digest; the comparison keeps the check itself constant-time.
        if row is None or not hmac.compare_digest(row.token_hash, token_hash) or row.revoked_at:
            return None
        token = _token(row)
        _recent.put(store, token_hash, token)
    _touch(store, token, token_hash)
    return token


def list_tokens(store: Store) -> list[ScimToken]:
    """Every token, revoked ones too, oldest first (never a secret)."""
    with store.reader() as uow:
        rows = uow.session.connection().execute(select(S).order_by(S.c.id)).all()
    return [_token(row) for row in rows]


def revoke_token(store: Store, token_id: int) -> bool:
    """Revoke a token: every later request with it gets 401. False when none was active."""
    with store.uow() as uow:
        changed = (
            uow.session.connection()
            .execute(
                update(S)
                .where(S.c.id == token_id, S.c.revoked_at.is_(None))
                .values(revoked_at=store.clock.now())
            )
            .rowcount
        )
        uow.commit()
    _recent.forget(token_id)
    return bool(changed)


def _touch(store: Store, token: ScimToken, token_hash: str) -> None:
    """Record the use, unless this process recorded one less than a minute ago."""
    now = store.clock.now()
    if not _recent.claim_touch(token_hash, now, token.last_used_at):
        return
    try:
        with store.uow() as uow:
            uow.session.connection().execute(
                update(S)
                .where(
                    S.c.id == token.id, or_(S.c.last_used_at.is_(None), S.c.last_used_at < now - TOUCH_EVERY)
                )
                .values(last_used_at=now)
            )
            uow.commit()
    except SQLAlchemyError:  # a busy database: the note can wait, the request cannot
        _recent.touched(token_hash, None)


class _Recent:
    """Tokens verified in the last few seconds and the last use written, per store."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[tuple[int, str], tuple[float, ScimToken]] = {}
        self._touches: dict[str, datetime | None] = {}  # by digest: ids repeat across databases

    def get(self, store: Store, token_hash: str) -> ScimToken | None:
        entry = self._tokens.get((id(store), token_hash))
        if entry is None or time.monotonic() - entry[0] > CACHE_SECONDS:
            return None
        return entry[1]

    def put(self, store: Store, token_hash: str, token: ScimToken) -> None:
        with self._lock:
            if len(self._tokens) >= CACHE_SIZE:
                self._tokens.clear()
            self._tokens[(id(store), token_hash)] = (time.monotonic(), token)

    def forget(self, token_id: int) -> None:
        with self._lock:
            for key in [k for k, (_, t) in self._tokens.items() if t.id == token_id]:
                del self._tokens[key]

    def claim_touch(self, token_hash: str, now: datetime, stored: datetime | None) -> bool:
        """Whether this request writes the use (then no other does for a minute): one at a time."""
        with self._lock:
            last = self._touches.get(token_hash) or stored
            if last is not None and now - last < TOUCH_EVERY:
                return False
            if len(self._touches) >= CACHE_SIZE:
                self._touches.clear()
            self._touches[token_hash] = now
            return True

    def touched(self, token_hash: str, at: datetime | None) -> None:
        with self._lock:
            if len(self._touches) >= CACHE_SIZE:
                self._touches.clear()
            self._touches[token_hash] = at


_recent = _Recent()


def _token(row) -> ScimToken:
    return ScimToken(
        id=row.id,
        provider=row.provider,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )
