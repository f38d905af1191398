"""Builds the scheduler from settings: its store, clock, job context and delivery channels."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from plaudit import scheduler_role
from plaudit.assembly import build_store, prepare_database
from plaudit.clocks import clock_from
from plaudit.observability import metrics
from plaudit.settings import Settings, SettingsError
from rewards.delivery import Deliverer, DeliveryFailed, DestinationPacing, OutboxMessage
from scheduler.channels import ReadyChannels
from scheduler.config import SchedulerConfig, SchedulerConfigError
from scheduler.dispatcher import Dispatcher
from scheduler.jobs import JobContext, retry_policy
from scheduler.runner import SchedulerService
from scheduler.webhooks import WebhookDeliverer
from storage.scheduling.leader_lock import lock_for
from storage.store import Store

log = logging.getLogger("plaudit.scheduler_assembly")


def scheduler_config(settings: Settings) -> SchedulerConfig:
    try:
        return SchedulerConfig.from_mapping(settings.extra)
    except SchedulerConfigError as exc:
        raise SettingsError(str(exc)) from None


def scheduler_store(settings: Settings) -> Store:
    store = build_store(settings)
    store.clock = clock_from(settings.extra, settings.is_production)
    prepare_database(store, settings)
    return store


def default_deliverers(settings: Settings, store: Store) -> Mapping[str, Deliverer]:
    """Slack when a bot token is set (paused until Slack accepts it); webhooks."""
    deliverers: dict[str, Deliverer] = {}
    usable: dict[str, Callable[[], bool]] = {}
    if settings.slack_bot_token:
        from slack_sdk import WebClient

        from bot.link import SlackLink
        from bot.outbound.messages import all_renderers
        from bot.outbound.notifier import SLACK_PACES, RenderContext, SlackNotifier

        # No rate-limit retry handler: a 429 defers the message in the outbox, no worker sleeps.
        client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
        pacing = DestinationPacing(store.clock, SLACK_PACES)
        deliverers["slack"] = SlackNotifier(
            client, RenderContext(store, settings.extra), all_renderers(), pacing
        )
        link = SlackLink(client).start()
        usable["slack"] = lambda: link.settled(2.0)
    else:
        log.warning(
            "SLACK_BOT_TOKEN is not set: Slack messages are set aside as dead letters"
            " (`plaudit outbox retry --all-dead` sends them once Slack is configured)"
        )
        deliverers["slack"] = SlackOff()
    deliverers["webhook"] = WebhookDeliverer(
        store, timeout=scheduler_config(settings).webhook_timeout, destinations=settings.webhook_destinations
    )
    return ReadyChannels(deliverers, usable)


class SlackOff:
    """The Slack channel of an API-only deployment: every message is set aside at once, so none
    waits in the outbox for ever or holds up the readiness figure of the oldest pending one."""

    def deliver(self, message: OutboxMessage) -> int | None:
        raise DeliveryFailed("skipped: Slack is not configured (no SLACK_BOT_TOKEN)", permanent=True)


def job_context(
    settings: Settings, store: Store, deliverers: Mapping[str, Deliverer] | None = None
) -> JobContext:
    return JobContext(
        store,
        scheduler_config(settings),
        settings.allowance,
        settings.redemption,
        default_deliverers(settings, store) if deliverers is None else deliverers,
        observe=metrics.observe_delivery,
    )


def build_dispatcher(ctx: JobContext) -> Dispatcher:
    """This process's outbox dispatcher, woken at commit (and by NOTIFY on PostgreSQL)."""
    config = ctx.config
    return Dispatcher(
        ctx.store,
        ctx.deliverers,
        policy=retry_policy(config),
        sweep_seconds=config.outbox_interval,
        workers=config.outbox_workers,
        observe=ctx.observe,
    )


def build_scheduler(
    settings: Settings, store: Store | None = None, deliverers: Mapping[str, Deliverer] | None = None
) -> SchedulerService:
    """A scheduler candidate; with PLAUDIT_OUTBOX_WAKE on (the default) it also runs a dispatcher."""
    store = store or scheduler_store(settings)
    ctx = job_context(settings, store, deliverers)
    if ctx.config.outbox_wake:
        ctx.dispatcher = build_dispatcher(ctx)
    return SchedulerService(ctx, lock_for(store, ctx.config.lock_file))


def start_background_scheduler() -> SchedulerService:
    """Start a scheduler candidate on a daemon thread of this process (`plaudit serve`)."""
    service = build_scheduler(Settings.from_env())
    scheduler_role.register(service.leading)
    service.start_in_thread()
    return service
