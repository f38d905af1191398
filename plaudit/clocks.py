"""The clock the running parts use: the real one, or a simulated fast one for demos and tests."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime, timedelta

from plaudit.settings import SettingsError
from rewards.clock import Clock, SystemClock

START = "PLAUDIT_SIMULATED_CLOCK_START"  # ISO instant the simulation starts at
EPOCH = "PLAUDIT_SIMULATED_CLOCK_EPOCH"  # real Unix time at which it was START
SPEED = "PLAUDIT_SIMULATED_CLOCK_SPEED"  # simulated seconds per real second


class SimulatedClock:
    """Time that runs `speed` times faster from `start`; processes given the same values agree."""

    def __init__(self, start: datetime, epoch: float, speed: float) -> None:
        self.start, self.epoch, self.speed = start, epoch, speed

    def now(self) -> datetime:
        elapsed = max(time.time() - self.epoch, 0.0)  # it stands at `start` until the epoch
        return self.start + timedelta(seconds=elapsed * self.speed)


def clock_from(extra: Mapping[str, str], production: bool) -> Clock:
    """A simulated clock when the three variables are set (never in production), else real."""
    if not extra.get(START):
        return SystemClock()
    if production:
        raise SettingsError(f"{START} is for demos and tests; it is refused in production")
    try:
        start = datetime.fromisoformat(extra[START])
        epoch, speed = float(extra.get(EPOCH) or time.time()), float(extra.get(SPEED) or 1)
    except ValueError:
        raise SettingsError(f"{START}, {EPOCH} and {SPEED} must be an ISO instant and numbers") from None
    if start.tzinfo is None:
        raise SettingsError(f"{START} needs a time zone offset, e.g. 2027-01-01T00:00:00+00:00")
    return SimulatedClock(start, epoch, speed)
