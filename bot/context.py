"""What every listener is handed: the store, settings, the adapter's config and the directory."""

from __future__ import annotations

from dataclasses import dataclass, replace

from slack_sdk import WebClient

from bot.config import BotConfig
from bot.inbound.identity import Directory
from bot.settings import BotSettings
from rewards.clock import Clock
from rewards.policy import RedemptionPolicy
from storage.store import Store


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
        extra = [self.directory.employee_id_for(user) for user in self.config.slack_approvers]
        return replace(policy, hr_approver_ids=tuple(dict.fromkeys([*policy.hr_approver_ids, *extra])))
