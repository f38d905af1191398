"""Webhook subscriptions: create (secret shown once), list, delete, test, and the delivery log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AnyHttpUrl, Field, UrlConstraints

from api.blueprints import api_blueprint, security
from api.context import actor, ctx
from api.idempotency import idempotent
from api.pagination import id_cursor, page
from api.schemas import Body, OptionalIdempotencyHeader, Out, PageQuery
from rewards.errors import NotFound
from rewards.webhook_destinations import ERROR_CATEGORIES, ip_literal
from storage.delivery import webhooks as subs

bp = api_blueprint("webhooks", "Webhooks", "webhooks:manage", "webhooks:manage")
MANAGE = security("webhooks:manage")
Event = Literal[
    "*",
    "recognition.created",
    "award.issued",
    "redemption.requested",
    "redemption.approved",
    "redemption.rejected",
    "redemption.fulfilled",
    "redemption.cancelled",
    "redemption.expired",
    "milestone.awarded",
    "employee.erased",
]


class WebhookNotFound(NotFound):
    code = "webhook_not_found"


class WebhookIn(Body):
    url: Annotated[AnyHttpUrl, UrlConstraints(max_length=2000)] = Field(
        description="Where events are POSTed (https in production; no internal address)."
    )
    events: list[Event] = Field(default=["*"], min_length=1, max_length=20)


class WebhookOut(Out):
    id: int
    url: str
    events: list[str]
    created_at: datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(description="The signing secret (`whsec_…`). Shown only in this response.")


class WebhookList(Out):
    items: list[WebhookOut]


class WebhookPath(Body):
    webhook_id: int = Field(ge=1, le=2**53, json_schema_extra={"example": 1})


class AttemptOut(Out):
    attempted_at: datetime
    succeeded: bool
    status_code: int | None
    error: str | None
    duration_ms: int | None


class DeliveryOut(Out):
    id: int
    event_id: str
    topic: str
    status: Literal["pending", "delivered", "dead"]
    attempts: int
    created_at: datetime
    delivered_at: datetime | None
    next_attempt_at: datetime | None
    log: list[AttemptOut]


class DeliveryPage(Out):
    items: list[DeliveryOut]
    next_cursor: str | None


class TestQueued(Out):
    delivery_id: int
    event_id: str


def _find(webhook_id: int) -> subs.Subscription:
    # Another client's subscription is answered as absent: 404, never 403.
    found = subs.get(ctx().store, webhook_id, actor())
    if found is None:
        raise WebhookNotFound("No such webhook subscription.", webhook_id=webhook_id)
    return found


def _out(sub: subs.Subscription) -> dict:
    return WebhookOut(id=sub.id, url=sub.url, events=sub.events, created_at=sub.created_at).model_dump(
        mode="json"
    )


@bp.post("/webhooks", security=MANAGE, responses={201: WebhookCreated})
@idempotent
def create_webhook(header: OptionalIdempotencyHeader, body: WebhookIn):
    """Subscribe a URL to events; the response holds the signing secret, shown only once."""
    events: list[str] = ["*"] if "*" in body.events else sorted(set(body.events))
    _check_destination(str(body.url))
    sub, secret = subs.create(ctx().store, str(body.url), events, actor())
    return {**_out(sub), "secret": secret}, 201, {"Location": f"/api/v1/webhooks/{sub.id}"}


@bp.get("/webhooks", security=MANAGE, responses={200: WebhookList})
def list_webhooks():
    """Active subscriptions (secrets are never shown again)."""
    return {"items": [_out(s) for s in subs.listing(ctx().store, actor())]}


@bp.delete("/webhooks/<int:webhook_id>", security=MANAGE, responses={204: None})
def delete_webhook(path: WebhookPath):
    """Stop sending events to this subscription; pending deliveries are dropped."""
    if not subs.deactivate(ctx().store, path.webhook_id, actor()):
        raise WebhookNotFound("No such webhook subscription.", webhook_id=path.webhook_id)
    return "", 204


@bp.post("/webhooks/<int:webhook_id>/test", security=MANAGE, responses={202: TestQueued})
def test_webhook(path: WebhookPath):
    """Queue a signed `webhook.test` event for this subscription."""
    _find(path.webhook_id)
    outbox_id, event_id = subs.enqueue_test(ctx().store, path.webhook_id)
    return TestQueued(delivery_id=outbox_id, event_id=event_id).model_dump(mode="json"), 202


@bp.get("/webhooks/<int:webhook_id>/deliveries", security=MANAGE, responses={200: DeliveryPage})
def deliveries(path: WebhookPath, query: PageQuery):
    """Each event sent to this subscription, with every attempt (time, status, error)."""
    _find(path.webhook_id)
    rows = subs.deliveries(ctx().store, path.webhook_id, id_cursor(query.cursor), query.limit)
    items, cursor = page(rows, query.limit, lambda d: d.id)
    return {
        "items": [
            DeliveryOut(**{**vars(d), "log": [_attempt(a) for a in d.log]}).model_dump(mode="json")
            for d in items
        ],
        "next_cursor": cursor,
    }


def _attempt(attempt: subs.Attempt) -> dict:
    # Only a fixed category: a receiver's own words (a banner, an address) never reach a client.
    error = attempt.error
    if error is not None and error not in ERROR_CATEGORIES:
        error = "delivery_failed"
    return {**vars(attempt), "error": error}


def _check_destination(url: str) -> None:
    """Refuse an internal receiver now; the deliverer checks again before every POST."""
    policy = ctx().config.webhook_destinations
    target = policy.check(url)
    if policy.host_allowed(target.host) or ip_literal(target.host) is not None:
        return
    policy.address_for(target)
