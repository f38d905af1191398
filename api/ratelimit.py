"""Rate limiting: a token bucket per API client, and one per address for unauthenticated calls
(the token endpoint and refused requests), in each worker process."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass


class RateLimiter:
    """Allows `rate` requests a second with bursts of `burst`; says how long to wait otherwise."""

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, last refill)
        self._lock = threading.Lock()

    def check(self, client: str, rate: float, burst: int) -> float | None:
        """None when the request may go ahead (and it is counted); else the seconds until it may."""
        return self._take(client, rate, burst, spend=True)

    def peek(self, client: str, rate: float, burst: int) -> float | None:
        """Like `check`, without spending: None while a request would still be allowed."""
        return self._take(client, rate, burst, spend=False)

    def _take(self, client: str, rate: float, burst: int, *, spend: bool) -> float | None:
        if rate <= 0:
            return None
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(client, (float(burst), now))
            tokens = min(float(burst), tokens + (now - last) * rate)
            if tokens >= 1.0:
                if spend:
                    self._buckets[client] = (tokens - 1.0, now)
                return None
            if spend:
                self._buckets[client] = (tokens, now)
            return (1.0 - tokens) / rate

    def spend(self, client: str, rate: float, burst: int) -> None:
        """Take one token, down to empty (a request that already happened counts anyway)."""
        if rate <= 0:
            return
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(client, (float(burst), now))
            tokens = min(float(burst), tokens + (now - last) * rate)
            self._buckets[client] = (max(tokens - 1.0, 0.0), now)


@dataclass(frozen=True)
class AddressLimit:
    """Requests a second (and burst) one address may make without a valid credential."""

    rate: float = 5.0
    burst: int = 20


def retry_after_header(wait: float) -> str:
    return str(max(1, math.ceil(wait)))
