"""Group commit for the dispatcher: the outcomes of many deliveries recorded in one transaction."""

from __future__ import annotations

import logging
import threading
import time

from scheduler.outbox import DeliveryObserver, DueAgain, RetryPolicy, Tried, settle
from storage.store import Store

log = logging.getLogger("plaudit.outbox.recorder")

MOST_PER_TRANSACTION = 500
RETRY_PAUSES = (0.05, 0.5, 2.0)  # a failed write is tried again: its messages were sent already


class Recorder:
    """Takes sent messages' outcomes from the delivering threads and writes them on its own thread.

    While one transaction writes, the next outcomes gather, so the writes per second stay few
    however many messages go out (on SQLite each write queues for the one write lock the gives
    need too), and no delivering thread waits for the database after sending.
    """

    def __init__(
        self,
        store: Store,
        policy: RetryPolicy,
        observe: DeliveryObserver | None = None,
        due_again: DueAgain | None = None,
    ) -> None:
        self.store = store
        self.policy = policy
        self.observe = observe
        self.due_again = due_again
        self._waiting: list[Tried] = []
        self._writing = 0
        self._closed = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="plaudit-outbox-recorder", daemon=True)

    def put(self, tried: Tried) -> None:
        """Record this outcome soon; after `close`, at once on the caller's thread."""
        with self._changed:
            if not self._closed:
                if not self._thread.is_alive():
                    self._thread.start()
                self._waiting.append(tried)
                self._changed.notify_all()
                return
        self._write([tried])

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every outcome put so far is written; False if that took longer than `timeout`."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._waiting or self._writing:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True

    def close(self, timeout: float = 10.0) -> None:
        """Write what is waiting, then stop; later outcomes are written by whoever puts them."""
        self.flush(timeout)
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout)
        with self._changed:
            left, self._waiting = self._waiting, []
        if left:
            self._write(left)

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._waiting and not self._closed:
                    self._changed.wait()
                if not self._waiting:
                    return
                batch = self._waiting[:MOST_PER_TRANSACTION]
                del self._waiting[:MOST_PER_TRANSACTION]
                self._writing += 1
            try:
                self._write(batch)
            finally:
                with self._changed:
                    self._writing -= 1
                    self._changed.notify_all()

    def _write(self, batch: list[Tried]) -> None:
        for pause in (*RETRY_PAUSES, None):
            try:
                settle(self.store, batch, self.policy, self.observe, self.due_again)
                return
            except Exception as exc:
                if pause is None:
                    # The leases hand these messages to the sweep later: they may be sent twice.
                    log.error(
                        "could not record %d outbox outcomes (%s); their leases will return them",
                        len(batch),
                        type(exc).__name__,
                    )
                    return
                log.warning("recording outbox outcomes failed (%s); trying again", type(exc).__name__)
                time.sleep(pause)
