"""WSGI entry point: `gunicorn plaudit.wsgi:app`."""

from __future__ import annotations

from plaudit.assembly import build_store, build_web_app, prepare_database
from plaudit.settings import Settings

settings = Settings.from_env()
store = build_store(settings)
prepare_database(store, settings)
app = build_web_app(settings, store)
