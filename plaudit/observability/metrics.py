"""Prometheus metrics: HTTP traffic from a WSGI middleware, ledger and outbox read at scrape
(from tallies, carried totals and indexed counts: no whole-table count per scrape)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from storage.reads.operations import delivery_figures, program_figures
from storage.store import Store

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
HTTP_REQUESTS = Counter("plaudit_http_requests_total", "HTTP requests", ["route", "method", "status"])
HTTP_LATENCY = Histogram(
    "plaudit_http_request_seconds", "HTTP request latency", ["route", "method"], buckets=LATENCY_BUCKETS
)
# Labelled, so each value is created in the worker that records it (multi-process mode).
SLACK_ACK = Histogram(
    "plaudit_slack_ack_seconds", "Time to acknowledge a Slack request", ["route"], buckets=LATENCY_BUCKETS
)

# Commit (the message's writing) to delivered, per channel; recorded by the process that delivers.
DELIVERY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0)
DELIVERY_LATENCY = Histogram(
    "plaudit_outbox_delivery_seconds",
    "Outbox message written to delivered",
    ["channel"],
    buckets=DELIVERY_BUCKETS,
)


def observe_delivery(channel: str, seconds: float) -> None:
    """The dispatcher's observer: one delivered message's latency."""
    DELIVERY_LATENCY.labels(channel).observe(seconds)


class LedgerCollector:
    """Figures read from the database at scrape time, so every process reports the same truth."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def collect(self) -> Iterable[Metric]:
        figures = program_figures(self.store)
        # Gauges, not counters: a reaction kudos taken back is subtracted, so these can step down,
        # which rate() on a counter would read as a reset.
        yield GaugeMetricFamily(
            "plaudit_recognitions",
            "Recognitions given so far, less reaction kudos taken back (can step down)",
            value=figures.recognitions,
        )
        yield GaugeMetricFamily(
            "plaudit_recognition_points",
            "Points given in recognitions so far, less reaction kudos taken back (can step down)",
            value=figures.recognition_points,
        )
        states = GaugeMetricFamily("plaudit_redemptions", "Redemptions by state", labels=["state"])
        for state, count in figures.redemptions_by_state.items():
            states.add_metric([state], count)
        yield states
        depth = GaugeMetricFamily(
            "plaudit_outbox_messages",
            "Outbox messages by status (delivered counts those the purge deleted too)",
            labels=["status"],
        )
        oldest = GaugeMetricFamily(
            "plaudit_outbox_oldest_pending_seconds", "Age of the oldest undelivered outbox message"
        )
        age = 0.0
        for status, (count, first) in figures.outbox_by_status.items():
            depth.add_metric([status], count)
            if status == "pending" and first is not None:
                age = max(0.0, time.time() - first.timestamp())
        oldest.add_metric([], age)
        yield depth
        yield oldest
        yield from self._webhooks_and_jobs()

    def _webhooks_and_jobs(self) -> Iterable[Metric]:
        figures = delivery_figures(self.store)
        yield CounterMetricFamily(
            "plaudit_webhook_failures",
            "Failed webhook delivery attempts (counting those the purge deleted)",
            value=figures.webhook_failures,
        )
        counts = CounterMetricFamily(
            "plaudit_scheduler_runs", "Scheduled job runs", labels=["job", "outcome"]
        )
        last = GaugeMetricFamily(
            "plaudit_scheduler_last_success_timestamp_seconds",
            "When each scheduled job last succeeded",
            labels=["job"],
        )
        for job, total, failed, last_success in figures.job_runs:
            counts.add_metric([job, "success"], total - failed)
            counts.add_metric([job, "failure"], failed)
            if last_success is not None:
                last.add_metric([job], last_success.timestamp())
        yield counts
        yield last


class _ProcessMetrics:
    """This process's own metrics (the default registry), for single-process serving."""

    def collect(self) -> Iterable[Metric]:
        from prometheus_client import REGISTRY

        return REGISTRY.collect()


def registry_for(store: Store) -> CollectorRegistry:
    """This app's registry: the multi-process view under gunicorn workers, plus ledger figures."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ProcessMetrics())
    registry.register(LedgerCollector(store))
    return registry


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(route, method, str(status)).inc()
    HTTP_LATENCY.labels(route, method).observe(seconds)
    if route == "/slack/events":
        SLACK_ACK.labels(route).observe(seconds)


def render(registry: CollectorRegistry) -> tuple[bytes, str]:
    return generate_latest(registry), CONTENT_TYPE_LATEST
