"""OAuth2 client credentials: tokens, scopes, expiry, revocation, and the clients command."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import select

from api.config import SCOPES
from plaudit import cli
from storage.access import clients
from storage.schema.api_access import ApiClientRow, ApiTokenRow
from tests.api.callers import new_caller

# Every route, with the scope it needs (sample ids: auth is checked before anything else).
ROUTES = [
    ("GET", "/api/v1/employees", "employees:read"),
    ("GET", "/api/v1/employees/E-1", "employees:read"),
    ("PUT", "/api/v1/employees/E-1", "employees:write"),
    ("DELETE", "/api/v1/employees/E-1", "employees:write"),
    ("POST", "/api/v1/employees/bulk", "employees:write"),
    ("GET", "/api/v1/employees/E-1/balance", "ledger:read"),
    ("GET", "/api/v1/ledger/transactions", "ledger:read"),
    ("POST", "/api/v1/awards", "awards:write"),
    ("POST", "/api/v1/awards/batch", "awards:write"),
    ("GET", "/api/v1/catalog/items", "catalog:read"),
    ("POST", "/api/v1/catalog/items", "catalog:write"),
    ("GET", "/api/v1/catalog/items/1", "catalog:read"),
    ("PATCH", "/api/v1/catalog/items/1", "catalog:write"),
    ("GET", "/api/v1/redemptions", "redemptions:read"),
    ("POST", "/api/v1/redemptions", "redemptions:write"),
    ("GET", "/api/v1/redemptions/1", "redemptions:read"),
    *[
        ("POST", f"/api/v1/redemptions/1/{a}", "redemptions:write")
        for a in ("approve", "reject", "fulfill", "cancel")
    ],
    ("GET", "/api/v1/recognitions", "reports:read"),
    ("GET", "/api/v1/reports/recognition", "reports:read"),
    ("GET", "/api/v1/webhooks", "webhooks:manage"),
    ("POST", "/api/v1/webhooks", "webhooks:manage"),
    ("DELETE", "/api/v1/webhooks/1", "webhooks:manage"),
    ("POST", "/api/v1/webhooks/1/test", "webhooks:manage"),
    ("GET", "/api/v1/webhooks/1/deliveries", "webhooks:manage"),
    ("GET", "/api/v1/milestone-rules", "milestones:read"),
    ("POST", "/api/v1/milestone-rules", "milestones:write"),
    ("GET", "/api/v1/milestone-rules/1", "milestones:read"),
    ("PATCH", "/api/v1/milestone-rules/1", "milestones:write"),
]


def token_request(http, data, auth=None):
    return http.post("/oauth/token", data={"grant_type": "client_credentials", **data}, auth=auth)


def test_token_with_client_secret_basic(store, http):
    client, secret = clients.create_client(store, "hris", ["employees:read"])
    response = token_request(http, {}, auth=(client.id, secret))
    body = response.get_json()
    assert response.status_code == 200
    assert body["token_type"].lower() == "bearer"
    assert body["expires_in"] == 900
    assert body["scope"] == "employees:read"
    assert response.headers["Cache-Control"] == "no-store"


def test_token_with_client_secret_post(store, http):
    client, secret = clients.create_client(store, "hris", ["employees:read", "ledger:read"])
    response = token_request(http, {"client_id": client.id, "client_secret": secret, "scope": "ledger:read"})
    assert response.status_code == 200
    assert response.get_json()["scope"] == "ledger:read"


def test_unknown_client_and_wrong_secret_look_the_same(store, http):
    client, _ = clients.create_client(store, "hris", ["employees:read"])
    wrong = token_request(http, {}, auth=(client.id, "not-it"))
    unknown = token_request(http, {}, auth=("pc_nobody", "not-it"))
    non_ascii = token_request(http, {"client_id": client.id, "client_secret": "sécret"})
    assert wrong.status_code == unknown.status_code == non_ascii.status_code == 401
    assert wrong.get_json() == unknown.get_json() == non_ascii.get_json()
    assert wrong.get_json()["error"] == "invalid_client"


def test_a_scope_not_granted_is_refused(store, http):
    client, secret = clients.create_client(store, "hris", ["employees:read"])
    response = token_request(http, {"scope": "awards:write"}, auth=(client.id, secret))
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_scope"


def test_secrets_and_tokens_are_stored_only_as_digests(store, http):
    caller = new_caller(store, http, ["employees:read"])
    with store.engine.connect() as conn:
        client = conn.execute(select(ApiClientRow.__table__)).one()
        token = conn.execute(select(ApiTokenRow.__table__)).one()
    assert caller.secret not in repr(client) and caller.token not in repr(token)
    assert client.secret_hash == clients.digest(caller.secret)
    assert token.token_hash == clients.digest(caller.token)


@pytest.mark.parametrize(("method", "path", "scope"), ROUTES)
def test_every_route_needs_a_token(http, method, path, scope):
    response = http.open(path, method=method, json={})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(("method", "path", "scope"), ROUTES)
def test_every_route_needs_its_scope(store, http, method, path, scope):
    others = [s for s in SCOPES if s != scope]
    caller = new_caller(store, http, others)
    response = http.open(path, method=method, json={}, headers=caller.auth)
    assert response.status_code == 403
    assert response.get_json()["code"] == "insufficient_scope"
    assert f'scope="{scope}"' in response.headers["WWW-Authenticate"]


def test_an_expired_token_is_refused(store, http, clock):
    caller = new_caller(store, http, ["employees:read"])
    assert caller.get("/api/v1/employees").status_code == 200
    clock.advance(minutes=15)
    response = caller.get("/api/v1/employees")
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_the_route_table_above_names_every_api_route(app):
    served = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and rule.rule != "/api/v1/openapi.json"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    listed = {(method, path) for method, path, _ in ROUTES}
    shapes = {
        (m, "/".join("<>" if part.isdigit() or part == "E-1" else part for part in p.split("/")))
        for m, p in listed
    }
    for method, rule in served:
        shape = "/".join("<>" if part.startswith("<") else part for part in rule.split("/"))
        assert (method, shape) in shapes, f"{method} {rule} is missing from ROUTES"


@pytest.mark.parametrize(("method", "path", "scope"), ROUTES)
def test_an_expired_token_is_refused_on_every_route(store, http, clock, method, path, scope):
    caller = new_caller(store, http, [scope])
    clock.advance(minutes=16)
    response = http.open(path, method=method, json={}, headers=caller.auth)
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_garbage_token_is_refused(http):
    response = http.get("/api/v1/employees", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.get_json()["code"] == "invalid_token"


def test_revoking_a_client_takes_effect_at_once(store, http):
    caller = new_caller(store, http, ["employees:read"])
    assert caller.get("/api/v1/employees").status_code == 200
    clients.revoke_client(store, caller.client_id)
    assert caller.get("/api/v1/employees").status_code == 401
    again = token_request(http, {}, auth=(caller.client_id, caller.secret))
    assert again.status_code == 401


def test_a_revoke_by_another_process_is_seen_once_the_token_cache_lapses(store, http, monkeypatch):
    caller = new_caller(store, http, ["employees:read"])
    assert caller.get("/api/v1/employees").status_code == 200
    with store.engine.begin() as conn:  # what `plaudit clients revoke` does from its own process
        conn.execute(ApiClientRow.__table__.update().values(active=False))
        conn.execute(ApiTokenRow.__table__.delete())
    monkeypatch.setattr(clients, "TOKEN_CACHE_SECONDS", 0.0)
    assert caller.get("/api/v1/employees").status_code == 401


def test_rate_limit_answers_429_with_retry_after(store, app, http):
    from api.config import ApiConfig
    from api.context import EXTENSION

    app.extensions[EXTENSION].config = ApiConfig(rate_limit_per_second=1, rate_limit_burst=2)
    caller = new_caller(store, http, ["employees:read"])
    statuses = [caller.get("/api/v1/employees") for _ in range(3)]
    assert [r.status_code for r in statuses] == [200, 200, 429]
    assert int(statuses[-1].headers["Retry-After"]) >= 1
    assert statuses[-1].get_json()["code"] == "rate_limited"


def test_clients_command_creates_lists_and_revokes(
    db_url, keyring, blind_index, monkeypatch, capsys, http, store
):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("PLAUDIT_ENCRYPTION_KEYS", f"k1:{base64.b64encode(keyring.key('k1')).decode()}")
    monkeypatch.setenv("PLAUDIT_BLIND_INDEX_KEY", base64.b64encode(blind_index._key).decode())
    assert cli.main(["clients", "create", "--name", "Workday", "--scopes", "employees:read"]) == 0
    printed = capsys.readouterr().out
    client_id = printed.split("client_id:")[1].split()[0]
    secret = printed.split("client_secret:")[1].split()[0]
    assert token_request(http, {}, auth=(client_id, secret)).status_code == 200
    assert cli.main(["clients", "list"]) == 0
    listing = capsys.readouterr().out
    assert "Workday" in listing and secret not in listing
    assert cli.main(["clients", "revoke", client_id]) == 0
    assert token_request(http, {}, auth=(client_id, secret)).status_code == 401
    assert cli.main(["clients", "create", "--name", "x", "--scopes", "root"]) == 2


def test_the_composition_root_applies_the_api_settings(store, tmp_path):
    from plaudit.assembly import build_web_app
    from plaudit.settings import Settings

    settings = Settings.from_env(
        {"DATABASE_URL": "sqlite://", "PLAUDIT_API_TOKEN_LIFETIME": "60", "PLAUDIT_API_RATE_LIMIT": "0"}
    )
    app = build_web_app(settings, store)
    client, secret = clients.create_client(store, "hris", ["employees:read"])
    response = app.test_client().post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client.id, secret)
    )
    assert response.get_json()["expires_in"] == 60
