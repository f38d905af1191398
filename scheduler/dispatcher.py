"""The outbox dispatcher: woken at commit, it delivers due messages in parallel, a lane per destination."""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from rewards.delivery import Deliverer, OutboxMessage
from scheduler.outbox import DeliveryObserver, RetryPolicy, send
from scheduler.recorder import Recorder
from storage.delivery import wake
from storage.delivery.dispatch import ClaimRequest, claim, next_due, release
from storage.store import Store

log = logging.getLogger("plaudit.outbox.dispatcher")

MIN_WAIT_SECONDS = 0.02
RECHECK_SECONDS = 0.1
LOOK_INTERVAL = 0.02
EXIT_SECONDS = 2.0  # how long a process that exits waits for sends in flight to be recorded
# A Slack message due for less than this is fresh: it is claimed before the backlog, so a DM
# written during a backlog still arrives within the second the recipient expects.
FRESH = timedelta(seconds=1)
BACKLOG_SHARE = 0.25  # of the Slack places claimed, at least this share goes to the backlog


LaneKey = tuple[str, int] | tuple[str, str, int]


def destination(message: OutboxMessage) -> LaneKey:
    """The lane a message travels in: one per webhook subscription; Slack messages each their own.

    Slack's limits are per method and channel, known once a message is rendered, so the notifier
    paces them itself (deferring, never sleeping); a webhook receiver gets one request at a time.
    """
    if message.subscription_id is not None:
        return (message.channel, message.subscription_id)
    return (message.channel, "message", message.id)


class BacklogShare:
    """How many places of each claim go to the backlog, so that over time it gets `share` of them.

    Fresh messages go first, and a claim often has room for one message only (a worker has just
    finished one); a fixed share of each claim would then round to nothing and a steady stream of
    fresh messages would starve the backlog. Credit carried from claim to claim gives it every
    1/share-th such place instead.
    """

    def __init__(self, share: float = BACKLOG_SHARE) -> None:
        self.share = share
        self._credit = 0.0

    def places(self, room: int) -> int:
        """The backlog's places in a claim with `room` places (call `claimed` after it)."""
        self._credit += room * self.share
        return min(room, int(self._credit))

    def claimed(self, places: int, all_due_taken: bool) -> None:
        """A claim gave the backlog `places`; with nothing more due, no credit is carried over."""
        self._credit = 0.0 if all_due_taken else max(0.0, self._credit - places)


class Dispatcher:
    """Claims due messages when woken (or every `sweep_seconds`) and delivers them on small pools.

    Slack messages have `workers` threads; webhook lanes a pool of `lane_share` of that size and
    their own claim budget, so however many receivers hang, Slack messages always find a free
    worker and room to be claimed.
    Fresh Slack messages are claimed before the backlog (see `BacklogShare`). Workers only send;
    the `Recorder` writes their outcomes, many per transaction.
    """

    def __init__(
        self,
        store: Store,
        deliverers: Mapping[str, Deliverer],
        *,
        policy: RetryPolicy | None = None,
        sweep_seconds: float = 5.0,
        workers: int = 8,
        lane_depth: int = 6,
        lane_share: float = 0.5,
        wake_local: bool = True,
        listen: bool = True,
        observe: DeliveryObserver | None = None,
    ) -> None:
        self.store = store
        self.deliverers = deliverers
        self.policy = policy or RetryPolicy()
        self.sweep_seconds = sweep_seconds
        # Slack messages get `workers` threads; webhook lanes a pool of their own, `lane_share`
        # of that size, so however many receivers hang, Slack messages always find a thread.
        lane_workers = max(1, int(workers * lane_share))
        direct_workers = max(1, workers)
        self.capacity = {  # claimed and not yet finished, at most, per kind of message
            "direct": direct_workers * 4,
            "subscribed": lane_workers * (lane_depth + 1),
        }
        # Slack messages are claimed again only once this few are left (about two rounds of the
        # threads): one claim then takes many, not one per commit that woke the dispatcher.
        self.refill_below = direct_workers * 2
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
        self._unsent: dict[int, OutboxMessage] = {}  # claimed and not yet started, by id
        self._backlog = BacklogShare()
        self.recorder = Recorder(store, self.policy, observe, self.due_again)
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
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
        # A web worker may exit without anyone calling stop(): hand back and record then too.
        atexit.register(self.stop, EXIT_SECONDS)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming; hand back at once what was claimed and not started, record what was sent."""
        atexit.unregister(self.stop)
        self._stop.set()
        self.signal.set()
        wake.unsubscribe(self.signal)
        if self._listener is not None:
            self._listener.stop()
        if self._thread is not None:
            self._thread.join(timeout)
        with self._lock:
            unsent = list(self._unsent.values())
            self._unsent.clear()
            for lane in self._lanes.values():
                lane.clear()
            self._in_flight = {
                kind: count - sum(1 for m in unsent if _kind(m) == kind)
                for kind, count in self._in_flight.items()
            }
        for pool in self._pools.values():
            pool.shutdown(wait=False, cancel_futures=True)
        if unsent:
            try:
                release(self.store, unsent)
            except Exception:  # the lease hands them back later all the same
                log.warning("could not hand back %d claimed outbox messages", len(unsent))
        with self._idle:  # the messages being sent now: their outcomes are recorded below
            self._idle.wait_for(lambda: not any(self._in_flight.values()), timeout)
        self.recorder.close(timeout)

    def wake(self) -> None:
        self.signal.set()

    def run(self) -> None:
        """Until stopped: claim what is due, then wait for a wake-up, a due retry or the sweep."""
        last_look = 0.0
        while not self._stop.is_set():
            # Under load every commit wakes the loop: looking at most every LOOK_INTERVAL makes
            # one claim serve the commits of that time (a fresh message waits that long at most).
            self._stop.wait(max(0.0, last_look + LOOK_INTERVAL - time.monotonic()))
            last_look = time.monotonic()
            self.signal.clear()  # before claiming, so a commit during the claim wakes us again
            timeout = self.sweep_seconds
            with self._lock:
                self._wake_at = None  # looking now: a message put back meanwhile wakes us again
            try:
                self.fill()
                with self._lock:
                    held_back = self._held_back
                # Held back: a finishing delivery wakes the loop, no need to read when to look.
                timeout = self.sweep_seconds if held_back else self._wait_seconds()
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
        while not self._stop.is_set():
            with self._lock:
                direct = self.capacity["direct"] - self._in_flight["direct"]
                if self._in_flight["direct"] > self.refill_below:
                    direct = 0
                subscribed = self.capacity["subscribed"] - self._in_flight["subscribed"]
                busy = [
                    key[1]
                    for key, lane in self._lanes.items()
                    if isinstance(key[1], int) and len(lane) >= self.lane_depth
                ]
                self._held_back = self._held_back or direct <= 0 or subscribed <= 0 or bool(busy)
            if direct <= 0 and subscribed <= 0:
                break
            backlog = self._backlog.places(max(direct, 0))
            messages = claim(
                self.store,
                channels,
                self.policy.lease,
                ClaimRequest(
                    direct=max(direct, 0),
                    subscribed=max(subscribed, 0),
                    fresh_since=self.store.clock.now() - FRESH,
                    backlog=backlog,
                    skip_subscriptions=busy,
                    per_subscription=self.lane_depth + 1,
                ),
            )
            taken = sum(1 for m in messages if m.subscription_id is None)
            self._backlog.claimed(backlog, all_due_taken=taken < direct)
            for message in messages:
                self._enqueue(message)
            claimed += len(messages)
            filled = (direct > 0 and taken == direct) or (
                subscribed > 0 and len(messages) - taken == subscribed
            )
            if not filled:
                break  # everything due that fits was taken: no need to look again now
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
            self._unsent[message.id] = message
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
        with self._lock:
            mine = self._unsent.pop(message.id, None) is not None  # else stop() handed it back
        if mine:
            try:
                tried = send(self.store, self.deliverers[message.channel], message, self.policy)
                if tried is not None:
                    self.recorder.put(tried)
            except Exception:  # the database is away for the renewal: the lease hands it back
                log.exception("outbox message %s could not be sent", message.id)
        with self._lock:
            if mine:
                self._in_flight[kind] -= 1
            lane = self._lanes.get(key)
            following = lane.popleft() if lane else None
            if following is None:
                self._lanes.pop(key, None)
            wanted, self._held_back = self._held_back, False
            self._idle.notify_all()
        if following is not None:
            with contextlib.suppress(RuntimeError):  # stopping: stop() hands it back
                self._pools[kind].submit(self._drive, key, following)
        if wanted:
            self.signal.set()

    def _wait_seconds(self) -> float:
        due = next_due(self.store, list(self.deliverers))
        if due is None:
            return self.sweep_seconds
        seconds = (due - self.store.clock.now()).total_seconds()
        if seconds <= 0:  # fell due since the claim, or another dispatcher is claiming it
            return min(RECHECK_SECONDS, self.sweep_seconds)
        return min(max(seconds, MIN_WAIT_SECONDS), self.sweep_seconds)


def _kind(message: OutboxMessage) -> str:
    return "direct" if message.subscription_id is None else "subscribed"
