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
from storage.schema import migrate
from storage.store import Store

log = logging.getLogger("plaudit")


def build_store(settings: Settings, *, create_dev_keys: bool = True) -> Store:
    keyring, blind_index = load_keys(settings, create_dev=create_dev_keys)
    return Store.open(settings.database_url, keyring, blind_index)


def prepare_database(store: Store) -> None:
    """Upgrade an embedded SQLite database; refuse to serve an outdated PostgreSQL one."""
    if is_sqlite(store.engine):
        migrate.upgrade(store.engine)
        return
    pending = migrate.pending_revisions(store.engine)
    if pending:
        raise SettingsError(
            f"the database schema is behind ({', '.join(sorted(pending))}): run `plaudit db upgrade`"
        )


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
