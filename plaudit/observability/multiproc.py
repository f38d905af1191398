"""Prometheus multi-process mode for gunicorn: every worker's metrics in one /metrics answer."""

from __future__ import annotations

import os
import tempfile

from prometheus_client import multiprocess, values

ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare() -> str:
    """Before workers fork: a fresh metrics folder, and metric values that live in files there."""
    folder = os.environ.get(ENV) or tempfile.mkdtemp(prefix="plaudit-metrics-")
    for stale in os.listdir(folder):
        if stale.endswith(".db"):
            os.remove(os.path.join(folder, stale))
    os.environ[ENV] = folder
    values.ValueClass = values.get_value_class()  # the module chose at import; choose again
    return folder


def worker_exited(server, worker) -> None:
    """gunicorn's child_exit hook: fold a dead worker's live gauges away."""
    multiprocess.mark_process_dead(worker.pid)
