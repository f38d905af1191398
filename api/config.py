"""The API's own settings, parsed from the PLAUDIT_* mapping the composition root hands over."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from rewards.webhook_destinations import DestinationPolicy

SCOPES = (
    "employees:read",
    "employees:write",
    "awards:write",
    "catalog:read",
    "catalog:write",
    "redemptions:read",
    "redemptions:write",
    "ledger:read",
    "reports:read",
    "webhooks:manage",
    "milestones:read",
    "milestones:write",
)


class ApiConfigError(ValueError):
    """An API setting is malformed; the message names the variable."""


@dataclass(frozen=True)
class ApiConfig:
    token_lifetime_seconds: int = 900  # 15 minutes: machine clients fetch a new one
    rate_limit_per_second: float = 50.0  # per client, per worker process
    rate_limit_burst: int = 100
    max_body_bytes: int = 4 * 1024 * 1024  # a 10,000-item batch fits comfortably
    idempotency_retention_hours: int = 24
    trusted_proxies: int = 0  # >0: honour X-Forwarded-* from that many proxies (TLS offload)
    webhook_destinations: DestinationPolicy = field(default_factory=DestinationPolicy)
    scim_rate_per_second: float = 100.0  # per SCIM token, per worker: an IdP pushes ~50 at once
    scim_rate_burst: int = 200
    scim_delete: str = "deactivate"  # what SCIM DELETE does: "deactivate" or "erase"

    @classmethod
    def from_mapping(cls, extra: Mapping[str, str]) -> ApiConfig:
        return cls(
            token_lifetime_seconds=_int(extra, "PLAUDIT_API_TOKEN_LIFETIME", cls.token_lifetime_seconds),
            rate_limit_per_second=float(_int(extra, "PLAUDIT_API_RATE_LIMIT", 50)),
            rate_limit_burst=_int(extra, "PLAUDIT_API_RATE_BURST", cls.rate_limit_burst),
            max_body_bytes=_int(extra, "PLAUDIT_API_MAX_BODY_BYTES", cls.max_body_bytes),
            trusted_proxies=_int(extra, "PLAUDIT_API_TRUSTED_PROXIES", 0),
            webhook_destinations=_destinations(extra),
            scim_rate_per_second=float(_int(extra, "PLAUDIT_SCIM_RATE", 100)),
            scim_rate_burst=_int(extra, "PLAUDIT_SCIM_BURST", cls.scim_rate_burst),
            scim_delete=_scim_delete(extra),
        )


def _destinations(extra: Mapping[str, str]) -> DestinationPolicy:
    production = extra.get("PLAUDIT_ENV") == "production"
    try:
        return DestinationPolicy.parse(extra.get("PLAUDIT_WEBHOOK_ALLOWED_HOSTS", ""), https_only=production)
    except ValueError as exc:
        raise ApiConfigError(f"PLAUDIT_WEBHOOK_ALLOWED_HOSTS: {exc}") from None


SCIM_DELETE_CHOICES = ("deactivate", "erase")


def _scim_delete(extra: Mapping[str, str]) -> str:
    choice = (extra.get("PLAUDIT_SCIM_DELETE") or "deactivate").strip().lower()
    if choice not in SCIM_DELETE_CHOICES:
        raise ApiConfigError(f"PLAUDIT_SCIM_DELETE must be one of {', '.join(SCIM_DELETE_CHOICES)}")
    return choice


def _int(extra: Mapping[str, str], name: str, default: int) -> int:
    raw = extra.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if value < 0:
        raise ApiConfigError(f"{name} must not be negative")
    return value
