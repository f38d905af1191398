"""API clients and their access tokens: random secrets kept as SHA-256 digests only."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, insert, select, update

from storage.database.engine import read_only
from storage.schema.api_access import ApiClientRow, ApiTokenRow
from storage.store import Store

# A validated token is reused for this long without asking the database again, so a client
# revoked by another process (the CLI, another worker) is refused within this many seconds;
# a revoke in this process clears the cache at once. Expiry is still judged on every request.
TOKEN_CACHE_SECONDS = 5.0
TOKEN_CACHE_SIZE = 10_000
FIND_TOKEN = (
    select(
        ApiTokenRow.client_id,
        ApiTokenRow.scopes,
        ApiTokenRow.issued_at,
        ApiTokenRow.expires_at,
        ApiClientRow.active,
    )
    .join(ApiClientRow, ApiClientRow.id == ApiTokenRow.client_id)
    .where(ApiTokenRow.token_hash == bindparam("token_hash"))
)


def digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class ApiClient:
    id: str
    name: str
    scopes: tuple[str, ...]
    secret_hash: str
    active: bool
    created_at: datetime
    revoked_at: datetime | None = None

    def secret_matches(self, secret: str) -> bool:
        return hmac.compare_digest(digest(secret), self.secret_hash)


@dataclass(frozen=True)
class AccessToken:
    client_id: str
    scopes: tuple[str, ...]
    issued_at: datetime
    expires_at: datetime
    client_active: bool


def create_client(store: Store, name: str, scopes: list[str]) -> tuple[ApiClient, str]:
    """Register a client; returns it and its secret, which is never stored or shown again."""
    client_id = f"pc_{secrets.token_hex(12)}"
    secret = f"pcs_{secrets.token_urlsafe(32)}"
    now = store.clock.now()
    values = {
        "id": client_id,
        "name": name,
        "scopes": " ".join(scopes),
        "secret_hash": digest(secret),
        "active": True,
        "created_at": now,
    }
    with store.uow() as uow:
        uow.session.execute(insert(ApiClientRow).values(**values))
        uow.commit()
    return ApiClient(client_id, name, tuple(scopes), digest(secret), True, now), secret


def get_client(store: Store, client_id: str) -> ApiClient | None:
    with store.reader() as uow:
        row = uow.session.get(ApiClientRow, client_id)
        return None if row is None else _client(row)


def list_clients(store: Store) -> list[ApiClient]:
    with store.reader() as uow:
        rows = uow.session.scalars(select(ApiClientRow).order_by(ApiClientRow.created_at))
        return [_client(row) for row in rows]


def revoke_client(store: Store, client_id: str) -> bool:
    """Deactivate a client and delete its tokens: every later request with them gets 401."""
    with store.uow() as uow:
        result = uow.session.execute(
            update(ApiClientRow)
            .where(ApiClientRow.id == client_id, ApiClientRow.active.is_(True))
            .values(active=False, revoked_at=store.clock.now())
        )
        changed = getattr(result, "rowcount", 0)  # an UPDATE's result is a CursorResult
        uow.session.execute(delete(ApiTokenRow).where(ApiTokenRow.client_id == client_id))
        uow.commit()
    _recent.forget_client(client_id)
    return bool(changed)


def save_token(store: Store, token: str, client_id: str, scopes: list[str], lifetime: int) -> None:
    now = store.clock.now()
    with store.uow() as uow:
        uow.session.execute(delete(ApiTokenRow).where(ApiTokenRow.expires_at < now - timedelta(days=1)))
        uow.session.execute(
            insert(ApiTokenRow).values(
                token_hash=digest(token),
                client_id=client_id,
                scopes=" ".join(scopes),
                issued_at=now,
                expires_at=now + timedelta(seconds=lifetime),
            )
        )
        uow.commit()


def find_token(store: Store, token: str) -> AccessToken | None:
    """The token with this value (looked up by digest) and whether its client is still active.

    A token found and valid is remembered for `TOKEN_CACHE_SECONDS` (see there)."""
    token_hash = digest(token)
    cached = _recent.get(store, token_hash)
    if cached is not None:
        return cached
    with read_only(store.engine).connect() as conn:
        row = conn.execute(FIND_TOKEN, {"token_hash": token_hash}).first()
    if row is None:
        return None
    client_id, scopes, issued, expires, active = row
    found = AccessToken(client_id, tuple(scopes.split()), issued, expires, bool(active))
    if found.client_active:
        _recent.put(store, token_hash, found)
    return found


class _RecentTokens:
    """Tokens validated in the last few seconds, per store, keyed by the token's digest."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[tuple[int, str], tuple[float, AccessToken]] = {}

    def get(self, store: Store, token_hash: str) -> AccessToken | None:
        entry = self._tokens.get((id(store), token_hash))
        if entry is None or time.monotonic() - entry[0] > TOKEN_CACHE_SECONDS:
            return None
        return entry[1]

    def put(self, store: Store, token_hash: str, token: AccessToken) -> None:
        with self._lock:
            if len(self._tokens) >= TOKEN_CACHE_SIZE:
                self._tokens.clear()
            self._tokens[(id(store), token_hash)] = (time.monotonic(), token)

    def forget_client(self, client_id: str) -> None:
        with self._lock:
            for key in [k for k, (_, t) in self._tokens.items() if t.client_id == client_id]:
                del self._tokens[key]


_recent = _RecentTokens()


def _client(row: ApiClientRow) -> ApiClient:
    return ApiClient(
        id=row.id,
        name=row.name,
        scopes=tuple(row.scopes.split()),
        secret_hash=row.secret_hash,
        active=row.active,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )
