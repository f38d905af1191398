"""The outbox: events written in the same transaction as the change, delivered after commit."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    Text,
    bindparam,
    cast,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    true,
    union_all,
)

from rewards.clock import Clock
from storage.database.prepared import Prepared
from storage.database.unit_session import UnitSession
from storage.delivery.wake import notify_in_transaction
from storage.schema.core import OutboxRow, WebhookSubscriptionRow

OUTBOX = OutboxRow.__table__
SUBS = WebhookSubscriptionRow.__table__


def _fan_out_statement(contains):
    """One INSERT … SELECT: the Slack row, and a row per active subscription to the topic.

    A subscription's `events` is a JSON list written by json.dumps, so it names the topic
    exactly when its text contains the topic's own JSON encoding (or that of "*").
    """
    shared = [
        cast(bindparam("topic"), String),
        cast(bindparam("event_id"), String),
        cast(bindparam("payload"), Text),
        literal("pending"),
        literal(0, Integer),
        literal(0, Integer),
        bindparam("now", type_=OUTBOX.c.available_at.type),
        bindparam("now", type_=OUTBOX.c.created_at.type),
    ]
    to_slack = select(literal("slack"), cast(null(), OUTBOX.c.subscription_id.type), *shared)
    to_webhooks = select(literal("webhook"), SUBS.c.id, *shared).where(
        SUBS.c.active == true(),
        or_(
            contains(SUBS.c.events, bindparam("any_topic")) > 0,
            contains(SUBS.c.events, bindparam("this_topic")) > 0,
        ),
    )
    columns = [
        "channel",
        "subscription_id",
        "topic",
        "event_id",
        "payload",
        "status",
        "attempts",
        "progress",
        "available_at",
        "created_at",
    ]
    return insert(OUTBOX).from_select(columns, union_all(to_slack, to_webhooks))


# A case-sensitive substring test (SQLite's LIKE ignores case): instr / strpos.
FAN_OUT = {
    "sqlite": Prepared(_fan_out_statement(func.instr)),
    "postgresql": Prepared(_fan_out_statement(func.strpos)),
}
ANY_TOPIC = json.dumps("*")


def subscribed(events_json: str, topic: str) -> bool:
    topics = json.loads(events_json)
    return "*" in topics or topic in topics


class SqlEventPublisher:
    """Fans each event out to one Slack row and one row per matching webhook subscription."""

    def __init__(self, session: UnitSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self._subscriptions: list[tuple[int, str]] | None = None  # bulk publishing reads them once
        self.written = False  # the unit of work wakes the dispatchers after a commit that wrote rows

    def mark_written(self) -> None:
        """Note that this transaction wrote outbox rows; on PostgreSQL, NOTIFY listeners at commit."""
        if not self.written:
            notify_in_transaction(self.session.connection())
            self.written = True

    def publish(self, topic: str, payload: dict[str, Any]) -> None:
        now: datetime = self.clock.now()
        event_id = f"evt_{uuid.uuid4().hex}"
        body = json.dumps(
            {"type": topic, "timestamp": now.isoformat(), "data": payload}, separators=(",", ":"), default=str
        )
        conn = self.session.connection()
        FAN_OUT[conn.dialect.name].run(
            conn,
            {
                "topic": topic,
                "event_id": event_id,
                "payload": body,
                "now": now,
                "any_topic": ANY_TOPIC,
                "this_topic": json.dumps(topic),
            },
        ).close()
        self.mark_written()
