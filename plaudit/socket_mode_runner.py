"""`plaudit serve --socket-mode`: Slack over Socket Mode beside the web server (API and checks)."""

from __future__ import annotations

import logging
import os
import signal
import threading

from werkzeug.serving import WSGIRequestHandler, make_server

from plaudit.assembly import build_store, build_web_app, prepare_database
from plaudit.settings import Settings, SettingsError

log = logging.getLogger("plaudit.serve")


class QuietHandler(WSGIRequestHandler):
    """No access-log line per request (gunicorn's is off too); errors are still logged."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def run_socket_mode(
    host: str = "127.0.0.1", port: int = 8000, *, scheduler: bool = True, ops_port: int | None = None
) -> int:
    """Serve the HTTP API, /healthz, /readyz and /metrics on host:port, and Slack over Socket Mode.

    One process: a threaded web server, the Socket Mode client (it retries until Slack is
    reachable) and, unless told otherwise, a scheduler candidate for the outbox.
    """
    if ops_port:  # the web app reads its settings: it must see the same port
        os.environ["PLAUDIT_OPS_PORT"] = str(ops_port)
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
    if settings.ops_port == port:
        raise SettingsError(f"the ops port must differ from the serving port ({port})")
    store = build_store(settings)
    prepare_database(store, settings)
    from bot.http import add_readiness_check
    from bot.socket_mode import SocketMode

    web = build_web_app(settings, store)
    slack = SocketMode(store, settings)
    add_readiness_check(web, "slack", slack.problem)
    servers = [make_server(host, port, web, threaded=True, request_handler=QuietHandler)]
    if settings.ops_port:  # /metrics and /readyz answer there only
        servers.append(make_server(host, settings.ops_port, web, threaded=True, request_handler=QuietHandler))
    for server in servers:
        threading.Thread(target=server.serve_forever, name="plaudit-web", daemon=True).start()
    service = None
    if scheduler:  # the outbox (DMs, approval requests) is delivered by the scheduler
        from plaudit.scheduler_assembly import start_background_scheduler

        service = start_background_scheduler()
    log.info("Plaudit listening on http://%s:%d; Slack over Socket Mode", host, servers[0].server_port)
    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())
    slack.start()
    try:
        stop.wait()
    finally:
        slack.stop()
        for server in servers:
            server.shutdown()
        if service is not None:
            service.stop()
        store.close()
    return 0
