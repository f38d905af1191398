"""Redemptions: request on behalf of an employee, list, read, and move through their states."""

from __future__ import annotations

from datetime import datetime
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel, Field

from api.blueprints import api_blueprint, security
from api.context import actor, ctx
from api.idempotency import idempotency_key, idempotent
from api.pagination import id_cursor, page
from api.routes.employees import find
from api.schemas import Body, ExternalId, Id, IdempotencyHeader, Out, PageQuery
from rewards.model import Redemption, RedemptionState
from rewards.services import lookups
from rewards.services.redemptions import decide_redemption, request_redemption
from storage.reads import listings

bp = api_blueprint("redemptions", "Redemptions", "redemptions:read", "redemptions:write")
READ, WRITE = security("redemptions:read"), security("redemptions:write")
States = RedemptionState


class RedemptionIn(Body):
    employee_id: ExternalId
    item_id: Id


class DecisionIn(Body):
    reason: str | None = Field(default=None, max_length=500)


class RejectionIn(Body):
    reason: str = Field(min_length=1, max_length=500, pattern=r"\S")


class FulfilmentIn(Body):
    fulfilment: str = Field(
        min_length=1,
        max_length=2000,
        pattern=r"\S",
        description="The code, link or instructions; stored encrypted, sent by DM.",
    )


class RedemptionOut(Out):
    id: int
    employee_id: str | None = Field(description="The employee's HR id.")
    item_id: int
    points: int
    state: RedemptionState
    needs_approval: bool
    created_at: datetime
    updated_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    fulfilment: str | None
    fulfilled_at: datetime | None

    @classmethod
    def of(cls, redemption: Redemption, external_id: str | None) -> RedemptionOut:
        fields = {n: getattr(redemption, n) for n in cls.model_fields if n != "employee_id"}
        return cls(employee_id=external_id, **fields)


class RedemptionPage(Out):
    items: list[RedemptionOut]
    next_cursor: str | None


class RedemptionPath(Body):
    redemption_id: int = Field(ge=1, le=2**53, json_schema_extra={"example": 1})


class RedemptionQuery(PageQuery):
    state: RedemptionState | None = None
    employee_id: ExternalId | None = None


def render(redemption: Redemption) -> dict:
    external = listings.external_ids(ctx().store, [redemption.employee_id])
    return RedemptionOut.of(redemption, external.get(redemption.employee_id)).model_dump(mode="json")


@bp.post("/redemptions", security=WRITE, responses={201: RedemptionOut})
@idempotent
def create_redemption(header: IdempotencyHeader, body: RedemptionIn):
    """Redeem a catalog item for an employee: the cost is held (or spent when no approval is needed)."""
    employee = find(body.employee_id)
    redemption = request_redemption(
        ctx().store.uow(),
        employee.id,
        body.item_id,
        idempotency_key(),
        ctx().redemption_policy,
        ctx().store.clock,
    )
    return render(redemption), 201, {"Location": f"/api/v1/redemptions/{redemption.id}"}


@bp.get("/redemptions", security=READ, responses={200: RedemptionPage})
def list_redemptions(query: RedemptionQuery):
    """Redemptions in id order, by state or employee."""
    employee_id = find(query.employee_id).id if query.employee_id else None
    rows = listings.redemptions_page(
        ctx().store,
        after_id=id_cursor(query.cursor),
        employee_id=employee_id,
        state=query.state.value if query.state else None,
        limit=query.limit,
    )
    items, cursor = page(rows, query.limit, lambda r: r.id)
    externals = listings.external_ids(ctx().store, [r.employee_id for r in items])
    return {
        "items": [RedemptionOut.of(r, externals.get(r.employee_id)).model_dump(mode="json") for r in items],
        "next_cursor": cursor,
    }


@bp.get("/redemptions/<int:redemption_id>", security=READ, responses={200: RedemptionOut})
def get_redemption(path: RedemptionPath):
    """One redemption."""
    with ctx().store.reader() as uow:
        return render(lookups.redemption(uow, path.redemption_id))


def _decide(redemption_id: int, action: str, reason: str | None = None, fulfilment: str | None = None):
    decided = decide_redemption(
        ctx().store.uow(),
        redemption_id,
        action,
        idempotency_key(),
        ctx().store.clock,
        ctx().redemption_policy,
        actor_id=actor(),
        reason=reason,
        fulfilment=fulfilment,
        check_approver=False,
    )
    return render(decided)


DECISION: dict[str | int | HTTPStatus, type[BaseModel] | dict[Any, Any] | None] = {200: RedemptionOut}


@bp.post("/redemptions/<int:redemption_id>/approve", security=WRITE, responses=DECISION)
@idempotent
def approve(path: RedemptionPath, header: IdempotencyHeader, body: DecisionIn):
    """Approve a requested redemption: the held points are spent. 409 names the current state."""
    return _decide(path.redemption_id, "approve", body.reason)


@bp.post("/redemptions/<int:redemption_id>/reject", security=WRITE, responses=DECISION)
@idempotent
def reject(path: RedemptionPath, header: IdempotencyHeader, body: RejectionIn):
    """Reject a requested redemption: the held points go back to the wallet."""
    return _decide(path.redemption_id, "reject", body.reason)


@bp.post("/redemptions/<int:redemption_id>/fulfill", security=WRITE, responses=DECISION)
@idempotent
def fulfill(path: RedemptionPath, header: IdempotencyHeader, body: FulfilmentIn):
    """Fulfil an approved redemption with its code, link or instructions."""
    return _decide(path.redemption_id, "fulfill", fulfilment=body.fulfilment)


@bp.post("/redemptions/<int:redemption_id>/cancel", security=WRITE, responses=DECISION)
@idempotent
def cancel(path: RedemptionPath, header: IdempotencyHeader, body: DecisionIn):
    """Cancel a requested or approved redemption: the points go back to the wallet."""
    return _decide(path.redemption_id, "cancel", body.reason)
