"""The whole web app served over real HTTP on a loopback port, with a SCIM token to call it by."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from werkzeug.serving import make_server

from api.app import create_app
from api.config import ApiConfig
from storage.access import scim_tokens
from storage.store import Store


@dataclass(frozen=True)
class LiveScim:
    """Where the SCIM service answers, and the bearer token a provider holds."""

    base_url: str  # .../scim/v2
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Content-Type": "application/scim+json"}


@contextmanager
def live_scim(store: Store, config: ApiConfig | None = None, provider: str = "okta") -> Iterator[LiveScim]:
    """Serve the app (threaded, as a provider's concurrent requests need) until the block ends."""
    app = create_app(store, config=config or ApiConfig())
    _, secret = scim_tokens.create_token(store, provider)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveScim(f"http://127.0.0.1:{server.server_port}/scim/v2", secret)
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
