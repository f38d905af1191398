"""The scheduled jobs: module-level functions that each open units of work and call one service."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from rewards.delivery import Deliverer
from rewards.policy import AllowancePolicy, RedemptionPolicy
from rewards.services.allowance_periods import roll_allowance_periods
from rewards.services.approval_timers import ApprovalTimers, chase_approvals
from rewards.services.digest import DigestOptions, post_weekly_digest
from rewards.services.milestones import SweepOptions, sweep_milestones
from scheduler.config import SchedulerConfig
from scheduler.dispatcher import Dispatcher
from scheduler.outbox import DeliveryObserver, RetryPolicy, deliver_due
from storage.access import idempotency
from storage.delivery import outbox_admin
from storage.scheduling import job_runs
from storage.scheduling.unit_of_work import scheduler_reader, scheduler_uow
from storage.store import Store

log = logging.getLogger("plaudit.scheduler.jobs")


@dataclass
class JobContext:
    """What every job is handed: the store, settings and the channels it can deliver to."""

    store: Store
    config: SchedulerConfig
    allowance: AllowancePolicy = field(default_factory=AllowancePolicy)
    redemption: RedemptionPolicy = field(default_factory=RedemptionPolicy)
    deliverers: Mapping[str, Deliverer] = field(default_factory=dict)
    observe: DeliveryObserver | None = None  # told of each delivery's latency (for /metrics)
    dispatcher: Dispatcher | None = None  # this process's, when delivery wakes at commit


def retry_policy(config: SchedulerConfig) -> RetryPolicy:
    return RetryPolicy(config.outbox_max_attempts, config.outbox_backoff_seconds)


def milestones(ctx: JobContext) -> object:
    config = ctx.config
    options = SweepOptions(
        org_timezone=config.timezone,
        window=config.milestone_window,
        fire_hour=config.milestone_hour,
        celebration_channel=config.celebration_channel,
    )
    report = sweep_milestones(scheduler_uow(ctx.store), ctx.store.clock, options, scheduler_reader(ctx.store))
    if report.awarded or report.failed:
        log.info(
            "milestones: %d awarded, %d failed of %d people", report.awarded, report.failed, report.examined
        )
    return report


def allowance(ctx: JobContext) -> object:
    report = roll_allowance_periods(
        scheduler_uow(ctx.store),
        ctx.allowance,
        ctx.store.clock,
        ctx.config.timezone,
        scheduler_reader(ctx.store),
    )
    if report.rolled:
        log.info("allowance: %d people rolled into %s", report.rolled, report.period)
    return report


def approvals(ctx: JobContext) -> object:
    config = ctx.config
    timers = ApprovalTimers(config.remind_after, config.escalate_after, config.expire_after)
    return chase_approvals(ctx.store.uow(), ctx.redemption, timers, ctx.store.clock)


def digest(ctx: JobContext) -> object:
    config = ctx.config
    if not config.digest_enabled or not config.recognition_channel:
        return False
    options = DigestOptions(
        config.recognition_channel, config.timezone, config.digest_weekday, config.digest_hour
    )
    return post_weekly_digest(scheduler_uow(ctx.store), options, ctx.store.clock)


def housekeeping(ctx: JobContext) -> object:
    """Forget stored API responses once their replay window has passed, and delivered outbox
    messages after theirs (the HR id of a delivered erasure at once): erasure scans only the rest."""
    retention = timedelta(hours=max(ctx.config.idempotency_retention_hours, 24.0))
    removed = idempotency.purge(ctx.store, retention)
    if removed:
        log.info("housekeeping: forgot %d stored API responses", removed)
    delivered = outbox_admin.purge_delivered(ctx.store)
    if delivered:
        log.info("housekeeping: purged %d delivered outbox messages", delivered)
    return removed + delivered


def outbox(ctx: JobContext) -> object:
    if ctx.dispatcher is not None:  # the sweep: this process's dispatcher looks for what is due
        ctx.dispatcher.wake()
        return 0
    policy = retry_policy(ctx.config)
    total = 0
    while True:  # drain what is due now, in bounded batches
        delivered = deliver_due(ctx.store, ctx.deliverers, limit=100, policy=policy, observe=ctx.observe)
        total += delivered
        if delivered < 100:
            return total


# (name, job, the config attribute holding its interval in seconds); outbox last, so a
# one-off run delivers what the others published.
JOBS: list[tuple[str, Callable[[JobContext], object], str]] = [
    ("milestones", milestones, "milestone_interval"),
    ("allowance", allowance, "allowance_interval"),
    ("approvals", approvals, "approvals_interval"),
    ("digest", digest, "digest_interval"),
    ("housekeeping", housekeeping, "housekeeping_interval"),
    ("outbox", outbox, "outbox_interval"),
]


def run_recorded(name: str, ctx: JobContext) -> object:
    """Run one job by name and count the run (success or failure) for /metrics."""
    job = next(job for job_name, job, _ in JOBS if job_name == name)
    try:
        result = job(ctx)
    except Exception:
        job_runs.record(ctx.store, name, ok=False)
        raise
    job_runs.record(ctx.store, name, ok=True)
    return result


def run_all_once(ctx: JobContext) -> dict[str, object]:
    """Run every job once, in order (for `plaudit scheduler --once`, cron and tests)."""
    results = {}
    for name, _, _ in JOBS:
        try:
            results[name] = run_recorded(name, ctx)
        except Exception:
            log.exception("scheduled job %s failed", name)
            results[name] = None
    return results
