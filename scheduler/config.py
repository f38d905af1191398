"""The scheduler's own settings, parsed from the PLAUDIT_* mapping the composition root hands it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class SchedulerConfigError(ValueError):
    """A scheduler setting is malformed; the message names the variable."""


@dataclass(frozen=True)
class SchedulerConfig:
    timezone: str = "UTC"  # the organisation's zone
    milestone_hour: int = 9
    milestone_window: timedelta = timedelta(days=7)
    celebration_channel: str | None = None
    recognition_channel: str | None = None
    digest_enabled: bool = False
    digest_weekday: int = 0
    digest_hour: int = 9
    remind_after: timedelta = timedelta(hours=48)
    escalate_after: timedelta = timedelta(days=5)
    expire_after: timedelta = timedelta(days=14)
    outbox_max_attempts: int = 8
    outbox_backoff_seconds: float = 10.0
    outbox_interval: float = 5.0  # seconds between job runs, below
    outbox_wake: bool = True  # deliver at commit (every candidate runs a dispatcher); off: the sweep only
    outbox_workers: int = 8  # deliveries in parallel per dispatcher
    webhook_timeout: float = 5.0  # seconds a webhook receiver may take to answer
    milestone_interval: float = 300.0
    allowance_interval: float = 3600.0
    approvals_interval: float = 900.0
    digest_interval: float = 3600.0
    housekeeping_interval: float = 3600.0
    idempotency_retention_hours: float = 48.0  # API replays are promised for at least 24 h
    leader_poll_seconds: float = 5.0  # a follower retries the lock this often
    lock_file: str | None = None  # SQLite only; default: next to the database file

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]) -> SchedulerConfig:
        d = cls()
        return cls(
            timezone=env.get("PLAUDIT_TIMEZONE") or d.timezone,
            milestone_hour=_int(env, "PLAUDIT_MILESTONE_HOUR", d.milestone_hour, 0, 23),
            milestone_window=timedelta(days=_num(env, "PLAUDIT_MILESTONE_WINDOW_DAYS", 7)),
            celebration_channel=env.get("PLAUDIT_CELEBRATION_CHANNEL") or None,
            recognition_channel=env.get("PLAUDIT_RECOGNITION_CHANNEL") or None,
            digest_enabled=_bool(env, "PLAUDIT_DIGEST_ENABLED"),
            digest_weekday=_weekday(env.get("PLAUDIT_DIGEST_WEEKDAY", "mon")),
            digest_hour=_int(env, "PLAUDIT_DIGEST_HOUR", d.digest_hour, 0, 23),
            remind_after=timedelta(hours=_num(env, "PLAUDIT_APPROVAL_REMIND_HOURS", 48)),
            escalate_after=timedelta(days=_num(env, "PLAUDIT_APPROVAL_ESCALATE_DAYS", 5)),
            expire_after=timedelta(days=_num(env, "PLAUDIT_APPROVAL_EXPIRE_DAYS", 14)),
            outbox_max_attempts=_int(env, "PLAUDIT_OUTBOX_MAX_ATTEMPTS", d.outbox_max_attempts, 1),
            outbox_backoff_seconds=_num(env, "PLAUDIT_OUTBOX_BACKOFF_SECONDS", 10),
            outbox_interval=_num(env, "PLAUDIT_SCHEDULER_OUTBOX_SECONDS", d.outbox_interval),
            outbox_wake=_switch(env, "PLAUDIT_OUTBOX_WAKE", d.outbox_wake),
            outbox_workers=_int(env, "PLAUDIT_OUTBOX_WORKERS", d.outbox_workers, 1, 64),
            webhook_timeout=_num(env, "PLAUDIT_WEBHOOK_TIMEOUT_SECONDS", d.webhook_timeout),
            milestone_interval=_num(env, "PLAUDIT_SCHEDULER_MILESTONE_SECONDS", d.milestone_interval),
            allowance_interval=_num(env, "PLAUDIT_SCHEDULER_ALLOWANCE_SECONDS", d.allowance_interval),
            approvals_interval=_num(env, "PLAUDIT_SCHEDULER_APPROVALS_SECONDS", d.approvals_interval),
            digest_interval=_num(env, "PLAUDIT_SCHEDULER_DIGEST_SECONDS", d.digest_interval),
            idempotency_retention_hours=_num(
                env, "PLAUDIT_API_IDEMPOTENCY_RETENTION_HOURS", d.idempotency_retention_hours
            ),
            leader_poll_seconds=_num(env, "PLAUDIT_SCHEDULER_LEADER_POLL_SECONDS", 5),
            lock_file=env.get("PLAUDIT_SCHEDULER_LOCK_FILE") or None,
        )


def _num(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return float(default)
    try:
        value = float(raw)
    except ValueError:
        raise SchedulerConfigError(f"{name} must be a number, not {raw!r}") from None
    if value <= 0:
        raise SchedulerConfigError(f"{name} must be more than 0")
    return value


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int = 10**6) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if not raw.strip().isdigit() or not low <= int(raw) <= high:
        raise SchedulerConfigError(f"{name} must be a whole number from {low} to {high}")
    return int(raw)


def _bool(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "false").strip().lower() in ("1", "true", "yes", "on")


def _switch(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SchedulerConfigError(f"{name} must be on or off, not {raw!r}")


def _weekday(raw: str) -> int:
    text = raw.strip().lower()[:3]
    if text in WEEKDAYS:
        return WEEKDAYS.index(text)
    raise SchedulerConfigError("PLAUDIT_DIGEST_WEEKDAY must be a day name such as mon or fri")
