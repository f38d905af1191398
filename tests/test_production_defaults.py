"""Defaults safe for production: strict PLAUDIT_ENV, guarded ops endpoints, rate limits, headers."""

from __future__ import annotations

import os

import pytest
from werkzeug.middleware.proxy_fix import ProxyFix

from plaudit.assembly import build_web_app
from plaudit.settings import Settings, SettingsError
from tests.api.callers import new_caller


@pytest.mark.parametrize("value", ["Production", "prod", "PRODUCTION", "production ", "", "staging"])
def test_an_unknown_or_miscased_environment_is_refused_naming_the_accepted_ones(value):
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"PLAUDIT_ENV": value})
    assert "'development' or 'production'" in str(refused.value)


def test_the_accepted_environments_are_taken_as_given():
    assert Settings.from_env({"PLAUDIT_ENV": "production"}).is_production
    assert not Settings.from_env({"PLAUDIT_ENV": "development"}).is_production
    assert not Settings.from_env({}).is_production


def _web(store, **env):
    return build_web_app(Settings.from_env({"DATABASE_URL": "unused", **env}), store).test_client()


def test_a_metrics_token_guards_metrics_and_readiness_but_not_liveness(store):
    client = _web(store, PLAUDIT_METRICS_TOKEN="s3cret-ops")
    for path in ("/metrics", "/readyz"):
        assert client.get(path).status_code == 401
        assert client.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get(path, headers={"Authorization": "Bearer s3cret-ops"}).status_code == 200
    assert client.get("/healthz").status_code == 200


def test_an_ops_port_serves_metrics_and_readiness_there_only(store):
    client = _web(store, PLAUDIT_OPS_PORT="9100")
    assert client.get("/metrics").status_code == 404
    assert client.get("/readyz").status_code == 404
    assert client.get("/metrics", base_url="http://localhost:9100").status_code == 200
    assert client.get("/readyz", base_url="http://localhost:9100").status_code == 200
    assert client.get("/api/v1/employees", base_url="http://localhost:9100").status_code == 404
    assert client.get("/healthz").status_code == 200


def test_a_forwarded_host_cannot_reach_the_ops_port(store):
    app = build_web_app(
        Settings.from_env(
            {"DATABASE_URL": "unused", "PLAUDIT_OPS_PORT": "9100", "PLAUDIT_API_TRUSTED_PROXIES": "1"}
        ),
        store,
    )
    assert isinstance(app.wsgi_app, ProxyFix)  # the forwarded host is believed elsewhere...
    client = app.test_client()
    response = client.get("/metrics", headers={"X-Forwarded-Host": "localhost:9100"})
    assert response.status_code == 404  # ...but the listener's own port decides
    on_ops = client.get(
        "/metrics", base_url="http://localhost:9100", headers={"X-Forwarded-Host": "localhost:80"}
    )
    assert on_ops.status_code == 200


TOKEN_REQUEST = {"grant_type": "client_credentials"}
PUBLIC = "http://plaudit.example.com"  # not loopback: OAuth wants HTTPS


def test_trusted_proxies_wrap_the_whole_app_once_with_the_configured_hops(store):
    app = build_web_app(
        Settings.from_env({"DATABASE_URL": "unused", "PLAUDIT_API_TRUSTED_PROXIES": "2"}), store
    )
    assert isinstance(app.wsgi_app, ProxyFix) and not isinstance(app.wsgi_app.app, ProxyFix)
    assert (app.wsgi_app.x_for, app.wsgi_app.x_proto, app.wsgi_app.x_host) == (2, 2, 2)
    assert not isinstance(_web_app(store).wsgi_app, ProxyFix)


def _web_app(store, **env):
    return build_web_app(Settings.from_env({"DATABASE_URL": "unused", **env}), store)


def test_behind_a_trusted_proxy_a_forwarded_https_token_request_succeeds(store):
    client = _web(store, PLAUDIT_API_TRUSTED_PROXIES="1")
    caller = new_caller(store, client)  # registers a client; its token request came over loopback
    client_id, secret = caller.client_id, caller.secret
    proxied = {"REMOTE_ADDR": "10.0.0.1"}
    plain = client.post(
        "/oauth/token", data=TOKEN_REQUEST, auth=(client_id, secret), environ_base=proxied, base_url=PUBLIC
    )
    assert plain.status_code == 400 and "HTTPS" in plain.get_json()["error_description"]
    forwarded = client.post(
        "/oauth/token",
        data=TOKEN_REQUEST,
        auth=(client_id, secret),
        environ_base=proxied,
        base_url=PUBLIC,
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"},
    )
    assert forwarded.status_code == 200, forwarded.get_data()


def test_without_trusted_proxies_a_forwarded_proto_is_ignored(store):
    client = _web(store)
    caller = new_caller(store, client)
    client_id, secret = caller.client_id, caller.secret
    forged = client.post(
        "/oauth/token",
        data=TOKEN_REQUEST,
        auth=(client_id, secret),
        environ_base={"REMOTE_ADDR": "10.0.0.1"},
        base_url=PUBLIC,
        headers={"X-Forwarded-Proto": "https"},
    )
    assert forged.status_code == 400


def _limited_by_forwarded_address(store, **env):
    client = _web(store, PLAUDIT_AUTH_RATE_LIMIT="1", PLAUDIT_AUTH_RATE_BURST="2", **env)
    return [
        client.post(
            "/oauth/token",
            data=TOKEN_REQUEST,
            auth=("nobody", "guess"),
            environ_base={"REMOTE_ADDR": "10.0.0.1"},
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
        ).status_code
        for n in range(4)
    ]


def test_behind_a_trusted_proxy_each_client_address_has_its_own_rate_limit(store):
    assert _limited_by_forwarded_address(store, PLAUDIT_API_TRUSTED_PROXIES="1") == [401] * 4


def test_without_trusted_proxies_a_forwarded_address_does_not_escape_the_rate_limit(store):
    assert _limited_by_forwarded_address(store) == [401, 401, 429, 429]


def test_the_token_endpoint_is_rate_limited_per_address(store):
    client = _web(store, PLAUDIT_AUTH_RATE_LIMIT="1", PLAUDIT_AUTH_RATE_BURST="5")
    codes = [
        client.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=("nobody", "guess")
        ).status_code
        for _ in range(8)
    ]
    assert codes[:5] == [401] * 5
    assert codes[5:] == [429] * 3
    refused = client.post("/oauth/token", data={"grant_type": "client_credentials"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1


def test_unauthenticated_api_calls_are_rate_limited_per_address(store):
    client = _web(store, PLAUDIT_AUTH_RATE_LIMIT="1", PLAUDIT_AUTH_RATE_BURST="3")
    caller = new_caller(store, client)  # one token request spent
    assert all(caller.get("/api/v1/employees").status_code == 200 for _ in range(5))  # spend nothing
    codes = [client.get("/api/v1/employees").status_code for _ in range(4)]
    assert codes == [401, 401, 429, 429]
    elsewhere = client.get("/api/v1/employees", environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert elsewhere.status_code == 401


def test_api_answers_and_the_docs_page_carry_security_headers_and_no_store(store):
    client = _web(store)
    caller = new_caller(store, client)
    for response in (
        caller.get("/api/v1/employees"),
        client.get("/api/docs/"),
        client.get("/api/v1/openapi.json"),
        client.get("/api/v1/employees"),
    ):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["Referrer-Policy"] == "no-referrer"


def test_a_new_sqlite_database_and_its_wal_files_are_private(tmp_path, keyring, blind_index):
    from storage.schema import migrate
    from storage.store import Store

    previous = os.umask(0o022)
    try:
        store = Store.open(f"sqlite:///{tmp_path / 'new.db'}", keyring, blind_index)
        migrate.upgrade(store.engine)
        with store.engine.connect() as connection:
            connection.exec_driver_sql("SELECT count(*) FROM employees").all()
            files = sorted(tmp_path.iterdir())
            assert {p.name for p in files} >= {"new.db", "new.db-wal", "new.db-shm"}
            for path in files:
                assert path.stat().st_mode & 0o077 == 0, path
        store.close()
    finally:
        os.umask(previous)
