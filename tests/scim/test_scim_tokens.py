"""SCIM bearer tokens: shown once, stored as a digest, verified, revoked, noted when used; the
guard answers 401/429 as SCIM error documents and limits each token on its own; the CLI."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from flask import Blueprint, g
from sqlalchemy import event, select

from api.app import create_app
from api.config import ApiConfig
from api.scim.auth import ERROR_SCHEMA, check_bearer
from storage.access import scim_tokens
from storage.schema.api_access import ScimTokenRow
from tests.test_cli import keys_env, open_store, plaudit  # noqa: F401  (keys_env is a fixture)


def probe_app(store, config: ApiConfig | None = None):
    """The app with a route behind the guard, as the SCIM blueprint puts its routes."""
    app = create_app(store, config=config or ApiConfig())
    probe = Blueprint("scim_probe", __name__, url_prefix="/scim-probe")
    probe.before_request(check_bearer)
    probe.add_url_rule("/who", "who", lambda: {"provider": g.scim_provider, "token": g.scim_token_id})
    app.register_blueprint(probe)
    app.config["TESTING"] = True
    return app.test_client()


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def stored_rows(store):
    with store.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(select(ScimTokenRow.__table__))]


def test_a_token_is_kept_only_as_its_digest_and_verifies(store):
    token, secret = scim_tokens.create_token(store, "  okta ")
    assert token.provider == "okta" and token.active and secret.startswith("scim_") and len(secret) > 40
    [row] = stored_rows(store)
    assert secret not in repr(row) and row["token_hash"] == scim_tokens.digest(secret)

    found = scim_tokens.verify(store, secret)
    assert found is not None and (found.id, found.provider) == (token.id, "okta")
    for wrong in ("", secret + "x", secret[:-1], "scim_" + "A" * 43, "x" * 10_000):
        assert scim_tokens.verify(store, wrong) is None


def test_a_revoked_token_is_refused_at_once_and_listed_as_revoked(store):
    token, secret = scim_tokens.create_token(store, "entra")
    other, other_secret = scim_tokens.create_token(store, "okta")
    assert scim_tokens.verify(store, secret) is not None  # now cached in this process

    assert scim_tokens.revoke_token(store, token.id) is True
    assert scim_tokens.verify(store, secret) is None
    assert scim_tokens.verify(store, other_secret) is not None
    assert scim_tokens.revoke_token(store, token.id) is False  # once
    assert scim_tokens.revoke_token(store, 999) is False
    listed = {t.id: t for t in scim_tokens.list_tokens(store)}
    assert listed[token.id].revoked_at is not None and listed[other.id].active


def test_last_use_is_written_at_most_once_a_minute(store):
    token, secret = scim_tokens.create_token(store, "okta")
    assert stored_rows(store)[0]["last_used_at"] is None
    first_use = store.clock.now()
    scim_tokens.verify(store, secret)
    assert stored_rows(store)[0]["last_used_at"] == first_use

    store.clock.advance(seconds=30)
    scim_tokens.verify(store, secret)
    assert stored_rows(store)[0]["last_used_at"] == first_use  # no write per request

    store.clock.advance(seconds=31)
    scim_tokens.verify(store, secret)
    assert stored_rows(store)[0]["last_used_at"] == first_use + timedelta(seconds=61)


@pytest.mark.parametrize("provider", ["", "   ", "p" * 201])
def test_a_provider_needs_a_name(store, provider):
    with pytest.raises(ValueError, match="provider"):
        scim_tokens.create_token(store, provider)
    assert stored_rows(store) == []


def assert_scim_error(response, status: int):
    assert response.status_code == status
    assert response.mimetype == "application/scim+json"
    body = response.get_json(force=True)
    assert body["schemas"] == [ERROR_SCHEMA] and body["status"] == str(status) and body["detail"]
    return body


def test_the_guard_lets_a_valid_token_through_and_names_its_provider(store):
    token, secret = scim_tokens.create_token(store, "okta")
    http = probe_app(store)
    answer = http.get("/scim-probe/who", headers=bearer(secret))
    assert answer.status_code == 200 and answer.get_json() == {"provider": "okta", "token": token.id}
    lower = http.get("/scim-probe/who", headers={"Authorization": f"bearer {secret}"})
    assert lower.status_code == 200  # the scheme is case-insensitive (RFC 7235)


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer scim_unknown", "Bearer a b", "Token x"],
)
def test_the_guard_refuses_without_a_known_token(store, header):
    scim_tokens.create_token(store, "okta")
    http = probe_app(store)
    answer = http.get("/scim-probe/who", headers={} if header is None else {"Authorization": header})
    assert_scim_error(answer, 401)
    assert answer.headers["WWW-Authenticate"] == 'Bearer realm="plaudit-scim"'


def test_the_guard_refuses_a_revoked_token(store):
    token, secret = scim_tokens.create_token(store, "okta")
    http = probe_app(store)
    assert http.get("/scim-probe/who", headers=bearer(secret)).status_code == 200
    scim_tokens.revoke_token(store, token.id)
    assert_scim_error(http.get("/scim-probe/who", headers=bearer(secret)), 401)


def test_each_token_has_its_own_rate_limit(store):
    _, first = scim_tokens.create_token(store, "okta")
    _, second = scim_tokens.create_token(store, "entra")
    http = probe_app(store, ApiConfig(scim_rate_per_second=0.01, scim_rate_burst=3))
    codes = [http.get("/scim-probe/who", headers=bearer(first)).status_code for _ in range(3)]
    assert codes == [200, 200, 200]
    limited = http.get("/scim-probe/who", headers=bearer(first))
    assert_scim_error(limited, 429)
    assert int(limited.headers["Retry-After"]) >= 1
    assert http.get("/scim-probe/who", headers=bearer(second)).status_code == 200


def test_the_default_limit_takes_an_identity_providers_burst(store):
    _, secret = scim_tokens.create_token(store, "okta")
    http = probe_app(store)
    assert ApiConfig().scim_rate_burst >= 100
    codes = {http.get("/scim-probe/who", headers=bearer(secret)).status_code for _ in range(100)}
    assert codes == {200}


def test_settings_name_the_scim_rate():
    config = ApiConfig.from_mapping({"PLAUDIT_SCIM_RATE": "7", "PLAUDIT_SCIM_BURST": "9"})
    assert (config.scim_rate_per_second, config.scim_rate_burst) == (7.0, 9)


def test_the_cli_creates_lists_and_revokes_tokens(tmp_path, keys_env):  # noqa: F811
    assert plaudit("db", "upgrade", env=keys_env, cwd=tmp_path).returncode == 0
    assert "--provider" in plaudit("scim", "token", "create", "--help", env=keys_env, cwd=tmp_path).stdout
    made = plaudit("scim", "token", "create", "--provider", "okta", env=keys_env, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    fields = dict(line.split(":", 1) for line in made.stdout.splitlines() if line.startswith(("id", "token")))
    secret, token_id = fields["token"].strip(), fields["id"].strip()
    store = open_store(keys_env)
    try:
        assert scim_tokens.verify(store, secret) is not None
        listed = plaudit("scim", "token", "list", env=keys_env, cwd=tmp_path)
        assert "'okta'" in listed.stdout and "active" in listed.stdout and secret not in listed.stdout
        revoked = plaudit("scim", "token", "revoke", token_id, env=keys_env, cwd=tmp_path)
        assert revoked.returncode == 0
        assert "revoked" in plaudit("scim", "token", "list", env=keys_env, cwd=tmp_path).stdout
        again = plaudit("scim", "token", "revoke", token_id, env=keys_env, cwd=tmp_path)
        assert again.returncode == 1 and "no active SCIM token" in again.stderr
        blank = plaudit("scim", "token", "create", "--provider", " ", env=keys_env, cwd=tmp_path)
        assert blank.returncode == 2 and "--provider" in blank.stderr
    finally:
        store.close()


def test_a_burst_of_first_requests_writes_the_last_use_once(store):
    _, secret = scim_tokens.create_token(store, "okta")
    writes: list[str] = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("UPDATE SCIM_TOKENS"):
            writes.append(statement)

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        barrier = threading.Barrier(20)

        def verify():
            barrier.wait()
            assert scim_tokens.verify(store, secret) is not None

        threads = [threading.Thread(target=verify) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    assert len(writes) == 1
