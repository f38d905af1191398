"""What every listener is handed: the store, settings, the adapter's config and the directory."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from slack_sdk import WebClient

from bot.config import BotConfig
from bot.inbound.identity import Directory
from bot.settings import BotSettings
from rewards.clock import Clock
from rewards.errors import DomainError
from rewards.policy import RedemptionPolicy
from storage.store import Store

log = logging.getLogger("plaudit.slack.context")


@dataclass
class Bot:
    store: Store
    settings: BotSettings
    config: BotConfig
    client: WebClient
    directory: Directory

    @property
    def clock(self) -> Clock:
        return self.store.clock

    def redemption_policy(self) -> RedemptionPolicy:
        """The redemption policy, its HR approvers joined by those named by Slack user id."""
        policy = self.settings.redemption
        if not self.config.slack_approvers:
            return policy
        found = (self._approver_id(user) for user in self.config.slack_approvers)
        extra = [employee_id for employee_id in found if employee_id is not None]
        return replace(policy, hr_approver_ids=tuple(dict.fromkeys([*policy.hr_approver_ids, *extra])))

    def _approver_id(self, slack_user_id: str) -> str | None:
        """A configured approver's employee id, or None when their account is closed or unknown:
        one such name in the settings must not stop anyone else's redemption (an inactive one
        stays listed and is skipped by the domain, which asks active approvers only)."""
        try:
            return self.directory.employee_id_for(slack_user_id)
        except (DomainError, OSError) as exc:  # OSError: Slack unreachable while meeting them
            log.warning(
                "a configured Slack approver was skipped: %s", getattr(exc, "code", type(exc).__name__)
            )
            return None
