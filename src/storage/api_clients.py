"""API clients and their access tokens: random secrets kept as SHA-256 digests only."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update

from storage.engine import read_only
from storage.store import Store
from storage.tables_api import ApiClientRow, ApiTokenRow


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
    values = {"id": client_id, "name": name, "scopes": " ".join(scopes),
              "secret_hash": digest(secret), "active": True, "created_at": now}
    with store.uow() as uow:
        uow.session.execute(insert(ApiClientRow).values(**values))
        uow.commit()
    return ApiClient(**{**values, "scopes": tuple(scopes)}), secret


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
        changed = uow.session.execute(
            update(ApiClientRow).where(ApiClientRow.id == client_id, ApiClientRow.active.is_(True))
            .values(active=False, revoked_at=store.clock.now())).rowcount
        uow.session.execute(delete(ApiTokenRow).where(ApiTokenRow.client_id == client_id))
        uow.commit()
    return bool(changed)


def save_token(store: Store, token: str, client_id: str, scopes: list[str], lifetime: int) -> None:
    now = store.clock.now()
    with store.uow() as uow:
        uow.session.execute(delete(ApiTokenRow).where(ApiTokenRow.expires_at < now - timedelta(days=1)))
        uow.session.execute(insert(ApiTokenRow).values(
            token_hash=digest(token), client_id=client_id, scopes=" ".join(scopes),
            issued_at=now, expires_at=now + timedelta(seconds=lifetime)))
        uow.commit()


def find_token(store: Store, token: str) -> AccessToken | None:
    """The token with this value (looked up by digest) and whether its client is still active."""
    query = (select(ApiTokenRow.client_id, ApiTokenRow.scopes, ApiTokenRow.issued_at,
                    ApiTokenRow.expires_at, ApiClientRow.active)
             .join(ApiClientRow, ApiClientRow.id == ApiTokenRow.client_id)
             .where(ApiTokenRow.token_hash == digest(token)))
    with read_only(store.engine).connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    client_id, scopes, issued, expires, active = row
    return AccessToken(client_id, tuple(scopes.split()), issued, expires, bool(active))


def _client(row: ApiClientRow) -> ApiClient:
    return ApiClient(id=row.id, name=row.name, scopes=tuple(row.scopes.split()),
                     secret_hash=row.secret_hash, active=row.active, created_at=row.created_at,
                     revoked_at=row.revoked_at)
