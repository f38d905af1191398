"""Awards: points from the organisation to employees, one call or a batch of up to 10,000."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from api.blueprints import api_blueprint, security
from api.context import actor, ctx
from api.idempotency import idempotency_key, idempotent, replayed
from api.problems import problem
from api.schemas import Body, Bool, ExternalId, IdempotencyHeader, Out, Points
from rewards.services.award_batch import MAX_BATCH, AwardBatch, BatchRejected, issue_award_batch
from rewards.services.awards import IssueAward, UnknownHrIds, issue_award
from storage.reads import listings

bp = api_blueprint("awards", "Awards", "awards:write", "awards:write")
WRITE = security("awards:write")
Reason = Field(min_length=1, max_length=500)
Value = Field(default=None, min_length=1, max_length=64)


class AwardIn(Body):
    employee_ids: list[ExternalId] = Field(
        min_length=1, max_length=100, description="HR ids of the employees to award."
    )
    points: Points
    reason: str = Reason
    value: str | None = Value
    notify: Bool = Field(default=True, description="Tell the recipients in Slack.")


class AwardOut(Out):
    transaction_id: int
    employee_ids: list[str]
    points: int
    total_points: int
    created_at: datetime


class BatchItem(Body):
    employee_id: ExternalId
    points: Points


class BatchIn(Body):
    reason: str = Reason
    value: str | None = Value
    notify: Bool = True
    items: list[BatchItem] = Field(min_length=1, max_length=MAX_BATCH)


class BatchOut(Out):
    transaction_id: int
    awarded: int
    total_points: int
    created_at: datetime


def _internal_ids(externals: list[str]) -> tuple[list[str], list[dict[str, str]]]:
    found = listings.ids_for_external(ctx().store, externals)
    unknown = [_unknown(f"body.items.{i}.employee_id") for i, e in enumerate(externals) if e not in found]
    return [found[e] for e in externals if e in found], unknown


@bp.post("/awards", security=WRITE, responses={201: AwardOut})
@idempotent
def create_award(header: IdempotencyHeader, body: AwardIn):
    """Give each named employee `points` from the organisation (idempotent by key)."""
    store = ctx().store
    try:  # HR ids are resolved inside the award's own transaction: one transaction in all
        txn = issue_award(
            store.uow(),
            IssueAward(
                employee_ids=[],
                external_ids=body.employee_ids,
                points=body.points,
                reason=body.reason,
                value=body.value,
                notify=body.notify,
                idempotency_key=idempotency_key(ledger_replays=True),
                actor=actor(),
            ),
            store.clock,
            on_replay=replayed,
            policy=ctx().recognition_policy,
        )
    except UnknownHrIds as exc:
        return _unknown_problem([_unknown(f"body.employee_ids.{i}") for i in exc.indexes])
    out = AwardOut(
        transaction_id=txn.id,
        employee_ids=body.employee_ids,
        points=body.points,
        total_points=body.points * len(body.employee_ids),
        created_at=txn.created_at,
    )
    return out.model_dump(mode="json"), 201


@bp.post("/awards/batch", security=WRITE, responses={201: BatchOut})
@idempotent
def create_batch(header: IdempotencyHeader, body: BatchIn):
    """Award up to 10,000 items in one all-or-nothing ledger transaction."""
    externals = [item.employee_id for item in body.items]
    ids, unknown = _internal_ids(externals)
    if unknown:
        return _unknown_problem(unknown)
    try:
        txn = issue_award_batch(
            ctx().store.uow(),
            AwardBatch(
                awards=[(eid, item.points) for eid, item in zip(ids, body.items, strict=True)],
                reason=body.reason,
                value=body.value,
                notify=body.notify,
                idempotency_key=idempotency_key(),
                actor=actor(),
            ),
            ctx().store.clock,
            ctx().recognition_policy,
        )
    except BatchRejected as exc:
        return _rejected(exc, externals)
    out = BatchOut(
        transaction_id=txn.id,
        awarded=len(ids),
        total_points=sum(i.points for i in body.items),
        created_at=txn.created_at,
    )
    return out.model_dump(mode="json"), 201


def _unknown(field: str) -> dict:
    return {"field": field, "message": "no employee has this HR id", "type": "unknown_employee"}


def _unknown_problem(errors: list[dict]):
    return problem(
        422,
        "unknown_employee",
        "Unknown employees.",
        "Some HR ids are not known to Plaudit; nothing was awarded.",
        errors=errors,
    )


def _rejected(exc: BatchRejected, externals: list[str]):
    errors = [
        {
            "field": f"body.items.{p['index']}.employee_id",
            "type": p["code"],
            "message": f"{externals[p['index']]}: {p['code'].replace('_', ' ')}",
        }
        for p in exc.problems
    ]
    return problem(422, exc.code, "Batch rejected.", exc.message, errors=errors)
