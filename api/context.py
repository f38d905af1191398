"""What every request handler needs, kept on the app: the store, settings and guards."""

from __future__ import annotations

from dataclasses import dataclass, field

from authlib.integrations.flask_oauth2 import ResourceProtector
from flask import current_app, g

from api.config import ApiConfig
from api.ratelimit import RateLimiter
from rewards.policy import AllowancePolicy, RecognitionPolicy, RedemptionPolicy
from rewards.services.allowance import AllowanceTerms
from storage.store import Store

EXTENSION = "plaudit.api"


@dataclass
class ApiContext:
    store: Store
    config: ApiConfig
    protector: ResourceProtector | None = None
    redemption_policy: RedemptionPolicy = field(default_factory=RedemptionPolicy)
    recognition_policy: RecognitionPolicy = field(default_factory=RecognitionPolicy)
    allowance: AllowanceTerms = field(default_factory=lambda: AllowanceTerms(AllowancePolicy()))
    limiter: RateLimiter = field(default_factory=RateLimiter)


def ctx() -> ApiContext:
    return current_app.extensions[EXTENSION]


def client_id() -> str:
    """The authenticated API client of this request."""
    return g.client_id


def actor() -> str:
    """How the ledger names this request's author."""
    return f"api:{g.client_id}"
