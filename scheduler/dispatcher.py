"""The outbox dispatcher: woken at commit, it delivers due messages in parallel, a lane per destination."""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from rewards.delivery import Deliverer, OutboxMessage
from scheduler.outbox import DeliveryObserver, RetryPolicy, attempt
from storage.delivery import wake
from storage.delivery.dispatch import claim_due, next_due, reschedule
from storage.store import Store

log = logging.getLogger("plaudit.outbox.dispatcher")

MIN_WAIT_SECONDS = 0.02


LaneKey = tuple[str, int] | tuple[str, str, int]


def destination(message: OutboxMessage) -> LaneKey:
    """The lane a message travels in: one per webhook subscription; Slack messages each their own.

    Slack's limits are per method and channel, known once a message is rendered, so the notifier
    paces them itself (deferring, never sleeping); a webhook receiver gets one request at a time.
    """
    if message.subscription_id is not None:
        return (message.channel, message.subscription_id)
    return (message.channel, "message", message.id)


class Dispatcher:
    """Claims due messages when woken (or every `sweep_seconds`) and delivers them on small pools.

    Webhook lanes get at most `lane_share` of the `workers` threads and their own claim budget,
    so however many receivers hang, Slack messages always find a free worker and room to be claimed.
    """

    def __init__(
        self,
        store: Store,
        deliverers: Mapping[str, Deliverer],
        *,
        policy: RetryPolicy | None = None,
        sweep_seconds: float = 5.0,
        workers: int = 8,
        lane_depth: int = 2,
        lane_share: float = 0.5,
        wake_local: bool = True,
        listen: bool = True,
        observe: DeliveryObserver | None = None,
    ) -> None:
        self.store = store
        self.deliverers = deliverers
        self.policy = policy or RetryPolicy()
        self.sweep_seconds = sweep_seconds
        lane_workers = max(1, min(workers - 1, int(workers * lane_share)))
        direct_workers = max(1, workers - lane_workers)
        self.capacity = {  # claimed and not yet finished, at most, per kind of message
            "direct": direct_workers * 4,
            "subscribed": lane_workers * (lane_depth + 1),
        }
        self.lane_depth = lane_depth  # messages a busy webhook lane may hold besides the one in flight
        self.wake_local = wake_local
        self.listen = listen
        self.observe = observe
        self.signal = threading.Event()
        self._pools = {
            "direct": ThreadPoolExecutor(direct_workers, thread_name_prefix="plaudit-deliver"),
            "subscribed": ThreadPoolExecutor(lane_workers, thread_name_prefix="plaudit-deliver-hook"),
        }
        self._lanes: dict[LaneKey, deque[OutboxMessage]] = {}
        self._lock = threading.Lock()
        self._in_flight = {"direct": 0, "subscribed": 0}
        self._held_back = False  # something due was left unclaimed for room: look again when room frees
        self._wake_at: datetime | None = None  # when the run loop next looks of its own accord
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._listener: wake.OutboxListener | None = None

    def start(self) -> Dispatcher:
        """Listen for commits and start the dispatching thread."""
        if self.wake_local:
            wake.subscribe(self.signal)
        if self.listen:
            self._listener = wake.listener_for(self.store.engine, self.signal)
        self._thread = threading.Thread(target=self.run, name="plaudit-dispatcher", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming; messages claimed but not started go back to the outbox at once."""
        self._stop.set()
        self.signal.set()
        wake.unsubscribe(self.signal)
        if self._listener is not None:
            self._listener.stop()
        if self._thread is not None:
            self._thread.join(timeout)
        with self._lock:
            waiting = [message for lane in self._lanes.values() for message in lane]
            for lane in self._lanes.values():
                lane.clear()
        for message in waiting:
            try:
                reschedule(self.store, message, self.store.clock.now(), message.progress)
            except Exception:  # the lease hands it back later all the same
                log.warning("could not hand back outbox message %s", message.id)
        for pool in self._pools.values():
            pool.shutdown(wait=False, cancel_futures=True)

    def wake(self) -> None:
        self.signal.set()

    def run(self) -> None:
        """Until stopped: claim what is due, then wait for a wake-up, a due retry or the sweep."""
        while not self._stop.is_set():
            self.signal.clear()  # before claiming, so a commit during the claim wakes us again
            timeout = self.sweep_seconds
            with self._lock:
                self._wake_at = None  # looking now: a message put back meanwhile wakes us again
            try:
                self.fill()
                timeout = self._wait_seconds()
            except Exception as exc:  # the database is away: the sweep tries again
                log.warning("outbox dispatcher could not claim (%s)", type(exc).__name__)
            with self._lock:
                planned = self.store.clock.now() + timedelta(seconds=timeout)
                self._wake_at = planned if self._wake_at is None else min(self._wake_at, planned)
            self.signal.wait(timeout)

    def due_again(self, at: datetime) -> None:
        """A message was put back until `at`: look again then, not at the next sweep."""
        with self._lock:
            # None: the loop is looking right now and may have missed it, so it looks once more.
            sooner = self._wake_at is None or at < self._wake_at
            if sooner and self._wake_at is not None:
                self._wake_at = at
        if sooner:
            self.signal.set()

    def fill(self) -> int:
        """Claim due messages while there is room, and hand them to their lanes; returns how many."""
        claimed = 0
        channels = list(self.deliverers)
        with self._lock:
            self._held_back = False
        for kind in ("direct", "subscribed"):
            while not self._stop.is_set():
                with self._lock:
                    room = self.capacity[kind] - self._in_flight[kind]
                    busy = [
                        key[1]
                        for key, lane in self._lanes.items()
                        if isinstance(key[1], int) and len(lane) >= self.lane_depth
                    ]
                    self._held_back = self._held_back or room <= 0 or bool(busy)
                if room <= 0:
                    break
                messages = claim_due(
                    self.store,
                    room,
                    channels,
                    self.policy.lease,
                    busy,
                    kind=kind,
                    per_subscription=self.lane_depth + 1,
                )
                for message in messages:
                    self._enqueue(message)
                claimed += len(messages)
                if len(messages) < room:
                    break
        return claimed

    def idle(self) -> bool:
        """Nothing claimed is waiting or being delivered (for tests and benchmarks)."""
        with self._lock:
            return not any(self._in_flight.values())

    def _enqueue(self, message: OutboxMessage) -> None:
        key = destination(message)
        kind = _kind(message)
        with self._lock:
            self._in_flight[kind] += 1
            lane = self._lanes.get(key)
            if lane is not None:
                lane.append(message)
                return
            self._lanes[key] = deque()
        self._pools[kind].submit(self._drive, key, message)

    def _drive(self, key: LaneKey, message: OutboxMessage) -> None:
        # One message, then the thread goes back to the pool: the lane's next message queues
        # behind every other lane's, so no receiver keeps a worker to itself.
        kind = _kind(message)
        try:
            attempt(
                self.store,
                self.deliverers[message.channel],
                message,
                self.policy,
                self.observe,
                self.due_again,
            )
        except Exception:  # recording failed; the lease hands the message back later
            log.exception("outbox message %s could not be recorded", message.id)
        with self._lock:
            self._in_flight[kind] -= 1
            lane = self._lanes[key]
            following = lane.popleft() if lane else None
            if following is None:
                del self._lanes[key]
            wanted, self._held_back = self._held_back, False
        if following is not None:
            try:
                self._pools[kind].submit(self._drive, key, following)
            except RuntimeError:  # stopping: the lease (or stop's hand-back) returns it
                with self._lock:
                    self._in_flight[kind] -= 1
        if wanted:
            self.signal.set()

    def _wait_seconds(self) -> float:
        due = next_due(self.store, list(self.deliverers))
        if due is None:
            return self.sweep_seconds
        seconds = (due - self.store.clock.now()).total_seconds()
        if seconds <= 0:  # due but unclaimed: another dispatcher's, or held back until room frees
            return self.sweep_seconds
        return min(max(seconds, MIN_WAIT_SECONDS), self.sweep_seconds)


def _kind(message: OutboxMessage) -> str:
    return "direct" if message.subscription_id is None else "subscribed"
