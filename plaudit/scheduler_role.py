"""This process's scheduler role, for /readyz: leader, standby, or off."""

from __future__ import annotations

import threading

_leading: threading.Event | None = None


def register(leading: threading.Event) -> None:
    """Called when this process starts a scheduler candidate; `leading` is set while it leads."""
    global _leading
    _leading = leading


def scheduler_role() -> str:
    if _leading is None:
        return "off"
    return "leader" if _leading.is_set() else "standby"
