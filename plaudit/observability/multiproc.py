"""Prometheus multi-process mode for gunicorn: every worker's metrics in one /metrics answer."""

from __future__ import annotations

import os
import shutil
import tempfile

from prometheus_client import multiprocess, values

ENV = "PROMETHEUS_MULTIPROC_DIR"
_made_here: dict[str, int] = {}  # folder -> the process that made it


def prepare() -> str:
    """Before workers fork: a fresh metrics folder, and metric values that live in files there."""
    folder = os.environ.get(ENV)
    if not folder:
        folder = tempfile.mkdtemp(prefix="plaudit-metrics-")
        _made_here[folder] = os.getpid()
    for stale in os.listdir(folder):
        if stale.endswith(".db"):
            os.remove(os.path.join(folder, stale))
    os.environ[ENV] = folder
    values.ValueClass = values.get_value_class()  # the module chose at import; choose again
    return folder


def cleanup(folder: str) -> None:
    """After the server stops: remove the metrics folder if `prepare` made it (not an operator's).

    Only in the process that made it: a forked worker that exits leaves it to the others.
    """
    if _made_here.get(folder) == os.getpid():
        shutil.rmtree(folder, ignore_errors=True)
        del _made_here[folder]
        if os.environ.get(ENV) == folder:
            del os.environ[ENV]
            values.ValueClass = values.get_value_class()  # back to values in memory


def worker_exited(server, worker) -> None:
    """gunicorn's child_exit hook: fold a dead worker's live gauges away."""
    multiprocess.mark_process_dead(worker.pid)
