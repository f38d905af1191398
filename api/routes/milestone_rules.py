"""Milestone rules: the anniversaries, birthdays, welcomes and badges the scheduler awards."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from api.blueprints import api_blueprint, security
from api.context import ctx
from api.idempotency import idempotent
from api.schemas import NOT_SENT, Body, Bool, OptionalIdempotencyHeader, Out, Points, StrictInt
from rewards.milestones import MilestoneKind, MilestoneRule
from rewards.services.milestone_rules import add_rule, get_rule, list_rules, update_rule
from storage.scheduling.unit_of_work import scheduler_reader, scheduler_uow

bp = api_blueprint("milestone_rules", "Milestone rules", "milestones:read", "milestones:write")
READ, WRITE = security("milestones:read"), security("milestones:write")
Kind = Literal["work_anniversary", "birthday", "first_week", "recognition_count"]
Number = Annotated[str, Field(pattern=r"^[1-9][0-9]{0,5}$", description="years, or a badge threshold")]
Table = dict[Number, Points]
Thresholds = list[Annotated[StrictInt, Field(ge=1, le=1_000_000)]]
OffsetDays = Annotated[StrictInt, Field(ge=0, le=366)]
Code = Field(
    min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$", json_schema_extra={"example": "ten-years"}
)
Name = Field(min_length=1, max_length=200, pattern=r"\S")


class RuleIn(Body):
    code: str = Code
    kind: Kind
    name: str = Name
    points: Points = Field(description="points for an occurrence the table does not name")
    points_table: Table = Field(default_factory=dict, json_schema_extra={"example": {"5": 500}})
    thresholds: Thresholds = Field(
        default_factory=list, max_length=100, description="recognition counts that earn a badge"
    )
    weekend_to_friday: Bool = False
    offset_days: OffsetDays = Field(default=0, description="first-week rules: days after hire")
    active: Bool = True


class RulePatch(Body):
    """Only the fields sent change; a rule's code and kind never change."""

    name: str = Field(default=NOT_SENT, min_length=1, max_length=200, pattern=r"\S")
    points: Points = NOT_SENT
    points_table: Table = NOT_SENT
    thresholds: Thresholds = Field(default=NOT_SENT, max_length=100)
    weekend_to_friday: Bool = NOT_SENT
    offset_days: OffsetDays = NOT_SENT
    active: Bool = NOT_SENT


class RuleOut(Out):
    id: int
    code: str
    kind: Kind
    name: str
    points: int
    points_table: dict[str, int]
    thresholds: list[int]
    weekend_to_friday: bool
    offset_days: int
    active: bool
    created_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def of(cls, rule: MilestoneRule) -> RuleOut:
        values = asdict(rule)
        values["points_table"] = {str(k): v for k, v in sorted(rule.points_table.items())}
        values["thresholds"] = list(rule.thresholds)
        values["kind"] = rule.kind.value
        return cls(**values)


class RuleList(Out):
    items: list[RuleOut]


class RulePath(Body):
    rule_id: int = Field(ge=1, le=2**53, json_schema_extra={"example": 1})


@bp.get("/milestone-rules", security=READ, responses={200: RuleList})
def list_milestone_rules():
    """Every milestone rule, the seeded defaults included."""
    store = ctx().store
    rules = list_rules(scheduler_uow(store), store.clock, scheduler_reader(store))
    return {"items": [RuleOut.of(rule).model_dump(mode="json") for rule in rules]}


@bp.post("/milestone-rules", security=WRITE, responses={201: RuleOut})
@idempotent
def create_milestone_rule(header: OptionalIdempotencyHeader, body: RuleIn):
    """Add a milestone rule; its code must be new."""
    store = ctx().store
    values = body.model_dump()
    rule = MilestoneRule(
        id=0, **{**values, "kind": MilestoneKind(body.kind), "thresholds": tuple(body.thresholds)}
    )
    added = add_rule(scheduler_uow(store), rule, store.clock)
    return (
        RuleOut.of(added).model_dump(mode="json"),
        201,
        {"Location": f"/api/v1/milestone-rules/{added.id}"},
    )


@bp.get("/milestone-rules/<int:rule_id>", security=READ, responses={200: RuleOut})
def get_milestone_rule(path: RulePath):
    """One milestone rule."""
    store = ctx().store
    rule = get_rule(scheduler_uow(store), store.clock, path.rule_id, scheduler_reader(store))
    return RuleOut.of(rule).model_dump(mode="json")


@bp.patch("/milestone-rules/<int:rule_id>", security=WRITE, responses={200: RuleOut})
def patch_milestone_rule(path: RulePath, body: RulePatch):
    """Change some fields of a rule (turn it off with `active: false`)."""
    store = ctx().store
    updated = update_rule(
        scheduler_uow(store), path.rule_id, body.model_dump(exclude_unset=True), store.clock
    )
    return RuleOut.of(updated).model_dump(mode="json")
