"""Runs the Slack app over Socket Mode (SLACK_APP_TOKEN), for development behind a firewall."""

from __future__ import annotations

import logging

from plaudit.assembly import build_store, prepare_database
from plaudit.settings import Settings, SettingsError

log = logging.getLogger("plaudit.serve")


def run_socket_mode(*, scheduler: bool = True) -> int:
    settings = Settings.from_env()
    missing = [
        name
        for name, value in (
            ("SLACK_APP_TOKEN", settings.slack_app_token),
            ("SLACK_BOT_TOKEN", settings.slack_bot_token),
        )
        if not value
    ]
    if missing:
        raise SettingsError(f"--socket-mode needs {' and '.join(missing)}")
    store = build_store(settings)
    prepare_database(store)
    from bot.socket_mode import run_socket_mode as connect

    service = None
    if scheduler:  # the outbox (DMs, approval requests) is delivered by the scheduler
        from plaudit.scheduler_assembly import start_background_scheduler

        service = start_background_scheduler()
    log.info("Plaudit connecting to Slack over Socket Mode")
    try:
        connect(store, settings)
    finally:
        if service is not None:
            service.stop()
    return 0
