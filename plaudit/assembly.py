"""Builds the running parts from settings: the store and the web app."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask
from flask_openapi3 import OpenAPI
from werkzeug.middleware.proxy_fix import ProxyFix

from plaudit import scheduler_role
from plaudit.keyring_source import load_keys
from plaudit.observability.web import instrument
from plaudit.settings import Settings, SettingsError
from storage.database.engine import is_sqlite
from storage.recognition import tallies
from storage.schema import migrate
from storage.store import Store

log = logging.getLogger("plaudit")


def build_store(settings: Settings, *, create_dev_keys: bool = True) -> Store:
    keyring, blind_index = load_keys(settings, create_dev=create_dev_keys)
    return Store.open(settings.database_url, keyring, blind_index)


def prepare_database(store: Store, settings: Settings) -> None:
    """Upgrade an embedded SQLite database (and its tallies); refuse to serve an outdated PostgreSQL one."""
    if is_sqlite(store.engine):
        bring_up_to_date(store, settings.timezone, progress=log.info)
        return
    pending = migrate.pending_revisions(store.engine)
    if pending:
        raise SettingsError(
            f"the database schema is behind ({', '.join(sorted(pending))}): run `plaudit db upgrade`"
        )
    with store.engine.connect() as conn:
        if not tallies.is_built(conn, settings.timezone):
            log.warning(
                "recognition tallies are not built for %s: leaderboards and reports read the history "
                "(slow) until `plaudit db upgrade` builds them",
                settings.timezone,
            )


def bring_up_to_date(store: Store, timezone: str, progress=None) -> None:
    """The schema's migrations, then the recognition tallies counted from the history (resumable).

    The one way every path upgrades: `plaudit db upgrade`, an embedded server at start, `plaudit
    try`. This process runs the code that keeps tallies with every give, so a build started now
    misses nothing; once built (in this zone) the build returns at once."""
    migrate.upgrade(store.engine)
    tallies.build(store.engine, timezone, progress=progress)


def build_web_app(settings: Settings, store: Store) -> Flask:
    """The one Flask server: the HTTP API, Slack's endpoints and the health checks."""
    from api.app import create_app

    app = create_app(store)
    app.config["PLAUDIT_SETTINGS"] = settings
    instrument(app, store, scheduler_role.scheduler_role)
    for mount in _mounts():
        mount(app, settings, store)
    trust_proxies(app, _trusted_proxies(settings))
    return app


def trust_proxies(app: Flask, hops: int) -> None:
    """Believe X-Forwarded-For/-Proto/-Host from `hops` proxies, for every route of the app.

    With 0 the headers are ignored: anyone could send them. Wrapped once, around everything,
    so the OAuth transport check, the per-address limits and the ops port all see one truth.
    """
    if hops <= 0 or isinstance(app.wsgi_app, ProxyFix):
        return
    app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # Flask documents wrapping wsgi_app
        app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
    )


def _trusted_proxies(settings: Settings) -> int:
    from api.config import ApiConfig

    return ApiConfig.from_mapping(settings.extra).trusted_proxies


def _mounts() -> list[Callable[[OpenAPI, Settings, Store], None]]:
    """The adapters that add routes to the web app: the HTTP API and Slack."""
    from api.app import configure as configure_api
    from bot.http import mount as mount_slack  # mounts only when the Slack secrets are set

    return [configure_api, mount_slack]
