"""Webhook subscriptions (signing secret encrypted per row) and their delivery log."""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert, select, update

from storage.schema.core import OutboxAttemptRow, OutboxRow
from storage.schema.core import WebhookSubscriptionRow as Sub
from storage.store import Store

TABLE, COLUMN = "webhook_subscriptions", "secret_enc"


@dataclass(frozen=True)
class Subscription:
    id: int
    url: str
    events: list[str]
    active: bool
    created_by: str | None
    created_at: datetime


@dataclass(frozen=True)
class Attempt:
    attempted_at: datetime
    succeeded: bool
    status_code: int | None
    error: str | None
    duration_ms: int | None


@dataclass(frozen=True)
class Delivery:
    id: int
    event_id: str
    topic: str
    status: str
    attempts: int
    created_at: datetime
    delivered_at: datetime | None
    next_attempt_at: datetime | None
    log: list[Attempt] = field(default_factory=list)


def new_secret() -> str:
    """A Standard Webhooks signing secret: `whsec_` and base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def create(store: Store, url: str, events: list[str], created_by: str | None) -> tuple[Subscription, str]:
    """Store a subscription with a new secret; returns it and the secret (shown once)."""
    secret = new_secret()
    now = store.clock.now()
    with store.uow() as uow:
        sub_id = uow.session.execute(
            insert(Sub)
            .values(
                url=url,
                events=json.dumps(events),
                secret_enc="",
                active=True,
                created_by=created_by,
                created_at=now,
            )
            .returning(Sub.id)
        ).scalar_one()
        uow.session.execute(
            update(Sub)
            .where(Sub.id == sub_id)
            .values(secret_enc=store.cipher.encrypt(secret, TABLE, COLUMN, sub_id))
        )
        uow.commit()
    return Subscription(sub_id, url, events, True, created_by, now), secret


def get(store: Store, sub_id: int, owner: str | None) -> Subscription | None:
    """An active subscription of this owner (another owner's is as good as absent)."""
    with store.reader() as uow:
        row = uow.session.get(Sub, sub_id)
        return None if row is None or not row.active or row.created_by != owner else _subscription(row)


def listing(store: Store, owner: str | None) -> list[Subscription]:
    """This owner's active subscriptions."""
    with store.reader() as uow:
        rows = uow.session.scalars(
            select(Sub).where(Sub.active.is_(True), Sub.created_by == owner).order_by(Sub.id)
        )
        return [_subscription(row) for row in rows]


def deactivate(store: Store, sub_id: int, owner: str | None) -> bool:
    """Stop an active subscription of this owner; False if there is none."""
    with store.uow() as uow:
        changed = (
            uow.session.connection()
            .execute(
                update(Sub)
                .where(Sub.id == sub_id, Sub.active.is_(True), Sub.created_by == owner)
                .values(active=False)
            )
            .rowcount
        )
        uow.commit()
    return bool(changed)


@dataclass(frozen=True)
class SigningTarget:
    url: str
    secret: str
    owner: str | None


def signing_target(store: Store, sub_id: int) -> SigningTarget | None:
    """URL, secret and owner of an active subscription, for the deliverer."""
    with store.reader() as uow:
        row = uow.session.get(Sub, sub_id)
        if row is None or not row.active:
            return None
        secret = store.cipher.decrypt(row.secret_enc, TABLE, COLUMN, row.id)
        return SigningTarget(row.url, secret, row.created_by)


def enqueue_test(store: Store, sub_id: int) -> tuple[int, str]:
    """Queue a `webhook.test` event for one subscription; returns (delivery id, event id)."""
    now = store.clock.now()
    event_id = f"evt_{uuid.uuid4().hex}"
    body = json.dumps(
        {"type": "webhook.test", "timestamp": now.isoformat(), "data": {"subscription_id": sub_id}},
        separators=(",", ":"),
    )
    with store.uow() as uow:
        outbox_id = uow.session.execute(
            insert(OutboxRow)
            .values(
                channel="webhook",
                subscription_id=sub_id,
                topic="webhook.test",
                event_id=event_id,
                payload=body,
                status="pending",
                attempts=0,
                available_at=now,
                created_at=now,
            )
            .returning(OutboxRow.id)
        ).scalar_one()
        uow.events.mark_written()  # wakes the dispatchers at commit, as a published event does
        uow.commit()
    return outbox_id, event_id


def deliveries(store: Store, sub_id: int, after_id: int | None, limit: int) -> list[Delivery]:
    """One page of a subscription's deliveries, each with its attempts."""
    query = (
        select(OutboxRow).where(OutboxRow.subscription_id == sub_id).order_by(OutboxRow.id).limit(limit + 1)
    )
    if after_id is not None:
        query = query.where(OutboxRow.id > after_id)
    with store.reader() as uow:
        rows = uow.session.scalars(query).all()
        attempts = uow.session.scalars(
            select(OutboxAttemptRow)
            .where(OutboxAttemptRow.outbox_id.in_([r.id for r in rows]))
            .order_by(OutboxAttemptRow.id)
        ).all()
        log: dict[int, list[Attempt]] = {}
        for a in attempts:
            log.setdefault(a.outbox_id, []).append(
                Attempt(a.attempted_at, a.succeeded, a.status_code, a.error, a.duration_ms)
            )
        return [
            Delivery(
                r.id,
                r.event_id,
                r.topic,
                r.status,
                r.attempts,
                r.created_at,
                r.delivered_at,
                r.available_at if r.status == "pending" else None,
                log.get(r.id, []),
            )
            for r in rows
        ]


def _subscription(row: Sub) -> Subscription:
    return Subscription(row.id, row.url, json.loads(row.events), row.active, row.created_by, row.created_at)
