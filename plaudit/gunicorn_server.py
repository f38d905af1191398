"""Runs the WSGI app under gunicorn, after preparing the database once in the parent."""

from __future__ import annotations

import logging
import os

from flask import Flask
from gunicorn import glogging
from gunicorn.app.base import BaseApplication

from plaudit.assembly import build_store, build_web_app, prepare_database
from plaudit.observability import multiproc
from plaudit.settings import Settings, SettingsError
from storage.database.engine import is_sqlite

log = logging.getLogger("plaudit.serve")


class PlauditServer(BaseApplication):
    def __init__(self, options: dict) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        settings = Settings.from_env()
        return build_web_app(settings, build_store(settings))


class RootLogger(glogging.Logger):
    """gunicorn's own lines go through Plaudit's logging set-up (JSON lines, redacted)."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        self.error_log.handlers.clear()
        self.error_log.propagate = True


def _start_scheduler(worker) -> None:
    # Every worker is a candidate; the leader lock lets exactly one of them run the jobs.
    from plaudit.scheduler_assembly import start_background_scheduler

    worker.plaudit_scheduler = start_background_scheduler()


def _stop_scheduler(server, worker) -> None:
    service = getattr(worker, "plaudit_scheduler", None)
    if service is not None:
        service.stop()


def default_concurrency(sqlite: bool, cpus: int | None = None) -> tuple[int, int]:
    """Worker processes and threads each when not given: see docs/performance.md.

    SQLite lets one writer in at a time: more than two processes only add lock hand-offs, but
    a second one parses and renders while the first writes. PostgreSQL locks rows, so writes
    run in parallel: a process per core (at least two) sidesteps the GIL.
    """
    cpus = cpus or os.cpu_count() or 1
    if sqlite:
        return min(2, cpus), 8
    return max(2, cpus), 8


def run_server(
    host: str,
    port: int,
    *,
    workers: int | None = None,
    threads: int | None = None,
    scheduler: bool = True,
    ops_port: int | None = None,
) -> None:
    if ops_port:  # the workers read their settings again: they must see the same port
        os.environ["PLAUDIT_OPS_PORT"] = str(ops_port)
    settings = Settings.from_env()
    if settings.ops_port == port:
        raise SettingsError(f"the ops port must differ from the serving port ({port})")
    store = build_store(settings)  # creates the dev keyring once, before workers fork
    prepare_database(store, settings)
    store.close()
    default_workers, default_threads = default_concurrency(is_sqlite(store.engine))
    workers, threads = workers or default_workers, threads or default_threads
    metrics_folder = multiproc.prepare()
    log.info(
        "Plaudit listening on http://%s:%d (database: %s; %d workers x %d threads)",
        host,
        port,
        store.engine.url.render_as_string(hide_password=True),
        workers,
        threads,
    )
    options = {
        "bind": [f"{host}:{port}"] + ([f"{host}:{settings.ops_port}"] if settings.ops_port else []),
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "graceful_timeout": 30,
        "timeout": 60,
        "accesslog": None,
        "logger_class": RootLogger,
        "child_exit": multiproc.worker_exited,
        # One control socket per user would collide between several instances on one host.
        "control_socket_disable": True,
    }
    if scheduler:
        options.update(post_worker_init=_start_scheduler, worker_exit=_stop_scheduler)
    if settings.ops_port:
        log.info("/metrics and /readyz on http://%s:%d only", host, settings.ops_port)
    try:
        PlauditServer(options).run()
    finally:
        multiproc.cleanup(metrics_folder)
