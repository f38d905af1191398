"""The outbox: events written in the same transaction as the change, delivered after commit."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, true
from sqlalchemy.orm import Session

from rewards.clock import Clock
from storage.tables import OutboxRow, WebhookSubscriptionRow

ACTIVE_SUBSCRIPTIONS = (select(WebhookSubscriptionRow.__table__.c.id,
                              WebhookSubscriptionRow.__table__.c.events)
                       .where(WebhookSubscriptionRow.__table__.c.active == true()))
INSERT = insert(OutboxRow.__table__)


def subscribed(events_json: str, topic: str) -> bool:
    topics = json.loads(events_json)
    return "*" in topics or topic in topics


class SqlEventPublisher:
    """Fans each event out to one Slack row and one row per matching webhook subscription."""

    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self._subscriptions: list[tuple[int, str]] | None = None  # read once per unit of work

    def publish(self, topic: str, payload: dict[str, Any]) -> None:
        now: datetime = self.clock.now()
        event_id = f"evt_{uuid.uuid4().hex}"
        body = json.dumps({"type": topic, "timestamp": now.isoformat(), "data": payload},
                          separators=(",", ":"), default=str)
        rows = [{"channel": "slack", "subscription_id": None}]
        if self._subscriptions is None:
            self._subscriptions = [tuple(row) for row in
                                   self.session.connection().execute(ACTIVE_SUBSCRIPTIONS)]
        rows += [{"channel": "webhook", "subscription_id": sub_id}
                 for sub_id, events in self._subscriptions if subscribed(events, topic)]
        self.session.connection().execute(INSERT, [
            {**row, "topic": topic, "event_id": event_id, "payload": body, "status": "pending",
             "attempts": 0, "available_at": now, "created_at": now}
            for row in rows
        ])
