"""Fixtures for SCIM: the app on a real database and an identity provider's bearer-token client."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from api.app import create_app
from api.config import ApiConfig
from storage.access.scim_tokens import create_token

SCIM_JSON = "application/scim+json"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"

# Okta's documented create (developer.okta.com, SCIM 2.0 reference): used as is by several tests.
OKTA_CREATE = {
    "schemas": [USER_SCHEMA],
    "userName": "test.user@okta.local",
    "name": {"givenName": "Test", "familyName": "User"},
    "emails": [{"primary": True, "value": "test.user@okta.local", "type": "work"}],
    "displayName": "Test User",
    "locale": "en-US",
    "externalId": "00ujl29u0le5T6Aj10h7",
    "groups": [],
    "password": "1mz050nq",
    "active": True,
}
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PLAUDIT = "urn:plaudit:params:scim:schemas:extension:plaudit:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
# No limit worth the name: the tests that need the limits set their own.
UNLIMITED = ApiConfig(rate_limit_per_second=0, scim_rate_per_second=10_000.0, scim_rate_burst=100_000)


@dataclass
class Provider:
    """An identity provider calling /scim/v2 through Flask's test client with its token."""

    http: Any
    token: str

    def call(self, method: str, path: str, body: Any = None, **kw: Any):
        headers = {"Authorization": f"Bearer {self.token}", **kw.pop("headers", {})}
        if body is not None:
            kw["data"] = body if isinstance(body, str | bytes) else json.dumps(body)
            headers.setdefault("Content-Type", SCIM_JSON)
        return self.http.open(f"/scim/v2{path}", method=method, headers=headers, **kw)

    def get(self, path: str, **kw: Any):
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any, **kw: Any):
        return self.call("POST", path, body, **kw)

    def put(self, path: str, body: Any, **kw: Any):
        return self.call("PUT", path, body, **kw)

    def patch(self, path: str, body: Any, **kw: Any):
        return self.call("PATCH", path, body, **kw)

    def delete(self, path: str, **kw: Any):
        return self.call("DELETE", path, **kw)


def make_scim_app(store, config: ApiConfig = UNLIMITED):
    app = create_app(store, config=config)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def scim_app(store):
    return make_scim_app(store)


@pytest.fixture
def idp(store, scim_app) -> Provider:
    """Okta, Entra or any provider: a SCIM token and the test client."""
    _, secret = create_token(store, "okta")
    return Provider(scim_app.test_client(), secret)


def user_body(user_name: str, **extra: Any) -> dict[str, Any]:
    """A minimal SCIM User create body; extension attributes are listed in `schemas` too."""
    extensions = [name for name in extra if name.startswith("urn:")]
    return {"schemas": [USER_SCHEMA, *extensions], "userName": user_name, **extra}


def patch_body(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}
