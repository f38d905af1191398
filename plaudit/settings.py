"""Settings read from the environment: the only place Plaudit reads it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rewards.policy import DEFAULT_VALUES, AllowancePolicy, RecognitionPolicy, RedemptionPolicy
from rewards.webhook_destinations import DestinationPolicy

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
ENVIRONMENTS = ("development", "production")


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    env: str = "development"
    encryption_keys: str | None = None
    blind_index_key: str | None = None
    dev_keyring_path: Path = Path(".plaudit/dev-keys.json")
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    timezone: str = "UTC"
    recognition: RecognitionPolicy = field(default_factory=RecognitionPolicy)
    redemption: RedemptionPolicy = field(default_factory=RedemptionPolicy)
    allowance: AllowancePolicy = field(default_factory=AllowancePolicy)
    metrics_token: str | None = None  # when set, /metrics and /readyz want this bearer token
    ops_port: int | None = None  # when set, /metrics and /readyz are served on this port only
    auth_rate_limit: float = 5.0  # token requests and unauthenticated calls, per address a second
    auth_rate_burst: int = 20
    webhook_destinations: DestinationPolicy = field(default_factory=DestinationPolicy)
    extra: Mapping[str, str] = field(default_factory=dict)  # PLAUDIT_* values for adapters

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        tz = env.get("PLAUDIT_TIMEZONE", "UTC")
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(f"PLAUDIT_TIMEZONE={tz!r} is not an IANA time zone name") from None
        values = tuple(
            v.strip().lstrip("#").lower()
            for v in env.get("PLAUDIT_VALUES", ",".join(DEFAULT_VALUES)).split(",")
            if v.strip()
        )
        recognition = RecognitionPolicy(
            max_points=_int(env, "PLAUDIT_MAX_POINTS", 100),
            default_points=_int(env, "PLAUDIT_DEFAULT_POINTS", 10),
            min_reason_length=_int(env, "PLAUDIT_MIN_REASON_LENGTH", 3),
            values=values,
            daily_cap_per_recipient=_int(env, "PLAUDIT_DAILY_CAP_PER_RECIPIENT", 100),
            reaction_points=_int(env, "PLAUDIT_REACTION_POINTS", 1),
            reaction_daily_cap=_int(env, "PLAUDIT_REACTION_DAILY_CAP", 10),
            allow_guests=env.get("PLAUDIT_ALLOW_GUESTS", "false").lower() in ("1", "true", "yes"),
            timezone=tz,
        )
        threshold = env.get("PLAUDIT_APPROVAL_THRESHOLD", "500")
        redemption = RedemptionPolicy(
            approval_threshold=None
            if threshold.lower() in ("", "none")
            else _int(env, "PLAUDIT_APPROVAL_THRESHOLD", 500),
            hr_approver_ids=tuple(
                x.strip() for x in env.get("PLAUDIT_HR_APPROVERS", "").split(",") if x.strip()
            ),
        )
        period = env.get("PLAUDIT_ALLOWANCE_PERIOD", "monthly")
        if period not in ("weekly", "monthly", "quarterly"):
            raise SettingsError("PLAUDIT_ALLOWANCE_PERIOD must be weekly, monthly or quarterly")
        return cls(
            database_url=env.get("DATABASE_URL") or f"sqlite:///{Path.cwd() / 'plaudit.db'}",
            env=_environment(env),
            encryption_keys=env.get("PLAUDIT_ENCRYPTION_KEYS") or None,
            blind_index_key=env.get("PLAUDIT_BLIND_INDEX_KEY") or None,
            dev_keyring_path=Path(env.get("PLAUDIT_DEV_KEYRING", ".plaudit/dev-keys.json")),
            slack_bot_token=env.get("SLACK_BOT_TOKEN") or None,
            slack_signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
            slack_app_token=env.get("SLACK_APP_TOKEN") or None,
            slack_api_url=env.get("SLACK_API_URL") or DEFAULT_SLACK_API_URL,
            timezone=tz,
            recognition=recognition,
            redemption=redemption,
            allowance=AllowancePolicy(
                points_per_period=_int(env, "PLAUDIT_ALLOWANCE_POINTS", 100), period=period
            ),
            metrics_token=env.get("PLAUDIT_METRICS_TOKEN") or None,
            ops_port=_port(env, "PLAUDIT_OPS_PORT"),
            auth_rate_limit=float(_int(env, "PLAUDIT_AUTH_RATE_LIMIT", 5)),
            auth_rate_burst=_int(env, "PLAUDIT_AUTH_RATE_BURST", 20),
            webhook_destinations=_webhook_destinations(env),
            extra={k: v for k, v in env.items() if k.startswith("PLAUDIT_")},
        )


def _webhook_destinations(env: Mapping[str, str]) -> DestinationPolicy:
    """Internal webhook receivers an operator allows (PLAUDIT_WEBHOOK_ALLOWED_HOSTS); https in production."""
    try:
        return DestinationPolicy.parse(
            env.get("PLAUDIT_WEBHOOK_ALLOWED_HOSTS", ""), https_only=env.get("PLAUDIT_ENV") == "production"
        )
    except ValueError as exc:
        raise SettingsError(f"PLAUDIT_WEBHOOK_ALLOWED_HOSTS: {exc}") from None


def _environment(env: Mapping[str, str]) -> str:
    """PLAUDIT_ENV exactly as one of ENVIRONMENTS: a typo must not fall back to development keys."""
    raw = env.get("PLAUDIT_ENV")
    if raw is None:
        return "development"
    if raw not in ENVIRONMENTS:
        accepted = " or ".join(repr(name) for name in ENVIRONMENTS)
        raise SettingsError(f"PLAUDIT_ENV={raw!r} is not accepted: use {accepted} (lower case, exactly)")
    return raw


def _port(env: Mapping[str, str], name: str) -> int | None:
    value = _int(env, name, 0)
    if not 0 <= value <= 65535:
        raise SettingsError(f"{name} must be a TCP port (1-65535), not {value}")
    return value or None


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
