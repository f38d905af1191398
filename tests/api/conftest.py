"""Fixtures for the HTTP API: the app on a real database, clients with tokens, a loopback server."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from api.app import create_app
from tests.api.callers import NO_LIMIT, Caller, new_caller

RECEIVER_ADDRESS = "93.184.215.14"  # public; the examples' receivers resolve here


@pytest.fixture(autouse=True)
def example_names_resolve(monkeypatch):
    """Names under example.com and .example (reserved, never real) resolve to a public address:
    a subscription resolves its host, and this machine has no DNS."""
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        name = str(host).lower().rstrip(".")
        if name.endswith((".example", ".example.com")):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (RECEIVER_ADDRESS, port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def app(store):
    app = create_app(store, config=NO_LIMIT)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def http(app):
    return app.test_client()


@pytest.fixture
def hr(store, http) -> Caller:
    """A client with every scope."""
    return new_caller(store, http)


@pytest.fixture
def make_caller(store, http):
    return lambda *scopes, name="limited": new_caller(store, http, scopes, name)


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """The app served over real HTTP on an ephemeral loopback port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
