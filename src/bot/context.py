"""What every listener is handed: the store, settings, the adapter's config and the directory."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient

from bot.config import BotConfig
from bot.identity import Directory
from storage.store import Store


@dataclass
class Bot:
    store: Store
    settings: object  # plaudit.settings.Settings (bot never imports the composition root)
    config: BotConfig
    client: WebClient
    directory: Directory

    @property
    def clock(self):
        return self.store.clock
