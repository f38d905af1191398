"""Whether a request carries a valid credential (API access token or SCIM token), for the
address rate limit: a caller with one is never refused for its address's failures."""

from __future__ import annotations

from flask import request

from storage.access import clients, scim_tokens
from storage.store import Store


def carries_valid_credential(store: Store) -> bool:
    """True when the Authorization header holds a live SCIM token (under /scim/) or an
    unexpired access token of an active client (elsewhere)."""
    secret = _bearer(request.headers.get("Authorization", ""))
    if secret is None:
        return False
    if request.path.startswith("/scim/"):
        return scim_tokens.verify(store, secret) is not None
    found = clients.find_token(store, secret)
    return found is not None and found.client_active and store.clock.now() < found.expires_at


def _bearer(header: str) -> str | None:
    scheme, _, credentials = header.strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() != "bearer" or not credentials or " " in credentials:
        return None
    return credentials
