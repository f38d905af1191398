"""API callers for the tests: a bearer-token client over Flask's test client, and one real HTTP request."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from api.config import SCOPES, ApiConfig
from storage.access import clients

NO_LIMIT = ApiConfig(rate_limit_per_second=0)


@dataclass
class Caller:
    """An API client with a bearer token, calling through the Flask test client."""

    http: object
    client_id: str
    secret: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, url, **kw):
        return self.http.get(url, headers={**self.auth, **kw.pop("headers", {})}, **kw)

    def post(self, url, key: str | None = None, **kw):
        headers = {**self.auth, **kw.pop("headers", {})}
        if key:
            headers["Idempotency-Key"] = key
        return self.http.post(url, headers=headers, **kw)

    def put(self, url, **kw):
        return self.http.put(url, headers={**self.auth, **kw.pop("headers", {})}, **kw)

    def patch(self, url, **kw):
        return self.http.patch(url, headers={**self.auth, **kw.pop("headers", {})}, **kw)

    def delete(self, url, **kw):
        return self.http.delete(url, headers={**self.auth, **kw.pop("headers", {})}, **kw)


def new_caller(store, http, scopes=SCOPES, name="hris") -> Caller:
    """Register an API client with the given scopes and fetch its token through /oauth/token."""
    client, secret = clients.create_client(store, name, list(scopes))
    response = http.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(client.id, secret))
    assert response.status_code == 200, response.get_data(as_text=True)
    return Caller(http, client.id, secret, response.get_json()["access_token"])


def call(base: str, method: str, path: str, token: str, body=None, headers=None):
    """One real HTTP request (stdlib only); returns (status, headers, parsed JSON or None)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        base + path,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, head, raw = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        status, head, raw = exc.code, dict(exc.headers), exc.read()
    return status, head, json.loads(raw) if raw else None
