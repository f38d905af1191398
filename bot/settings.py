"""The composition root's settings as the Slack adapter sees them (bot never imports plaudit)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from rewards.policy import AllowancePolicy, RecognitionPolicy, RedemptionPolicy


class BotSettings(Protocol):
    """What the Slack adapter reads of the settings; read-only, as the settings are frozen."""

    @property
    def slack_bot_token(self) -> str | None: ...
    @property
    def slack_signing_secret(self) -> str | None: ...
    @property
    def slack_app_token(self) -> str | None: ...
    @property
    def slack_api_url(self) -> str: ...
    @property
    def timezone(self) -> str: ...
    @property
    def recognition(self) -> RecognitionPolicy: ...
    @property
    def redemption(self) -> RedemptionPolicy: ...
    @property
    def allowance(self) -> AllowancePolicy: ...
    @property
    def extra(self) -> Mapping[str, str]:
        """The PLAUDIT_* values, parsed by the adapter into its BotConfig."""
        ...
