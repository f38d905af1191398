"""Unauthenticated and malformed input never gets a 500, a traceback or a forged log line."""

from __future__ import annotations

import pytest

from plaudit.assembly import build_web_app
from plaudit.settings import Settings

PATHS = [
    "/api/v1/employees",
    "/api/v1/employees/bulk",
    "/api/v1/employees/e-1",
    "/api/v1/employees/%ff%fe",
    "/api/v1/employees/" + "a" * 5000,
    "/api/v1/employees/..%2f..%2fetc%2fpasswd",
    "/api/v1/awards",
    "/api/v1/catalog/items/%00",
    "/api/v1/redemptions/99999999999999999999999999",
    "/api/v1/webhooks",
    "/api/v1/reports/summary?from=%ff&to=2024-13-45",
    "/api/v1/ledger/transactions?limit=-1&cursor=%ff%00",
    "/api/v1/openapi.json",
    "/api/docs/",
    "/oauth/token",
    "/healthz",
    "/readyz",
    "/metrics",
    "/%ff",
]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "PROPFIND", "TRACE"]
HEADERS = [
    {},
    {"Authorization": "Bearer"},
    {"Authorization": "Bearer \u00ff\u00fe"},
    {"Authorization": "Basic !!!not-base64"},
    {"Authorization": "Basic " + "QQ==" * 3000},
    {"Content-Type": "application/json; charset=klingon"},
    {"Content-Type": "x" * 8000},
    {"Content-Type": "multipart/form-data; boundary="},
    {"Content-Type": "application/x-www-form-urlencoded; charset=utf-16"},
    {"X-Request-Id": "abc\x1b[2K\x00forged"},
    {"Idempotency-Key": "\u00ff" * 300},
    {"Accept": "*/*;q=nonsense"},
]
BODIES = [b"", b"\xff\xfe\xfd", b'{"a": "\xff"}', b"{" * 5000, b"grant_type=client_credentials&\xff=\xff"]


@pytest.fixture
def client(store):
    settings = Settings.from_env({"DATABASE_URL": "unused", "PLAUDIT_AUTH_RATE_LIMIT": "0"})
    return build_web_app(settings, store).test_client()


def _assert_handled(response, what) -> None:
    body = response.get_data()
    assert response.status_code < 500, (what, response.status_code, body[:300])
    assert b"Traceback" not in body, what


@pytest.mark.parametrize("path", PATHS)
def test_no_unauthenticated_request_gets_a_server_error(client, path):
    for method in METHODS:
        for headers in HEADERS:
            for body in BODIES if method in ("POST", "PUT", "PATCH") else [b""]:
                response = client.open(path, method=method, headers=headers, data=body)
                _assert_handled(response, (method, path, headers, body[:20]))


def test_a_token_request_over_plain_http_from_another_host_is_an_oauth_error(client):
    response = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=("someone", "secret"),
        base_url="http://api.example.com",
    )
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "invalid_request"
    assert "HTTPS" in body["error_description"]
    assert "PLAUDIT_API_TRUSTED_PROXIES" in body["error_description"]
