"""Recognitions and the recognition report (JSON, or CSV with `Accept: text/csv`)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from flask import Response, request
from pydantic import ConfigDict, Field, model_validator

from api.blueprints import api_blueprint, security
from api.context import ctx
from api.csv_cells import csv_text
from api.pagination import id_cursor, page
from api.schemas import DateTime, Out, PageQuery, RequestPart
from storage.reads import listings, reports

bp = api_blueprint("reports", "Recognitions and reports", "reports:read", "reports:read")
READ = security("reports:read")


class RecognitionOut(Out):
    id: int
    giver_id: str | None = Field(description="HR id of the giver.")
    recipient_ids: list[str | None] = Field(description="HR ids of the recipients.")
    points_each: int
    value: str | None
    reason: str | None = Field(description="null for private recognitions.")
    source: str
    private: bool
    created_at: datetime


class RecognitionPage(Out):
    items: list[RecognitionOut]
    next_cursor: str | None


class RecognitionQuery(PageQuery):
    since: DateTime | None = None
    value: str | None = Field(default=None, max_length=64)
    department: str | None = Field(default=None, max_length=200)


class ReportQuery(RequestPart):
    model_config = ConfigDict(extra="forbid")

    from_: DateTime = Field(alias="from", description="Start, inclusive (ISO 8601).")
    to: DateTime = Field(description="End, exclusive (ISO 8601).")
    group_by: Literal["department", "value", "giver", "recipient"] = "department"

    @model_validator(mode="after")
    def _ordered(self):
        if self.to <= self.from_:
            raise ValueError("`to` must be after `from`")
        return self


class ReportRowOut(Out):
    key: str | None = Field(
        description="The department, value, or HR id of the giver or recipient; null for no department, "
        "no value, or an erased person."
    )
    recognitions: int = Field(
        description="Recognitions of the group. By department and by recipient, recognitions received: "
        "one given to two people of a department counts twice there."
    )
    points: int = Field(description="Points received (by department and recipient) or given in the group.")


class ParticipationOut(Out):
    active_employees: int
    gave: int
    received: int
    gave_share: float = Field(description="Share of active employees who gave, 0 to 1.")
    received_share: float


class ReportOut(Out):
    group_by: str
    rows: list[ReportRowOut]
    participation: ParticipationOut


@bp.get("/recognitions", security=READ, responses={200: RecognitionPage})
def list_recognitions(query: RecognitionQuery):
    """Recognitions in id order; filter by time, value and a recipient's department."""
    rows = reports.recognitions_page(
        ctx().store,
        after_id=id_cursor(query.cursor),
        since=query.since,
        value=query.value,
        department=query.department,
        limit=query.limit,
    )
    items, cursor = page(rows, query.limit, lambda r: r.id)
    people = {r.giver_id for r in items} | {e for r in items for e in r.recipient_ids}
    ext = listings.external_ids(ctx().store, people)
    return {
        "items": [
            RecognitionOut(
                id=r.id,
                giver_id=ext.get(r.giver_id),
                recipient_ids=[ext.get(e) for e in r.recipient_ids],
                points_each=r.points_each,
                value=r.value,
                reason=None if r.private else r.reason,
                source=r.source,
                private=r.private,
                created_at=r.created_at,
            ).model_dump(mode="json")
            for r in items
        ],
        "next_cursor": cursor,
    }


@bp.get(
    "/reports/recognition",
    security=READ,
    responses={
        200: {
            "description": "The report",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/ReportOut"}},
                "text/csv": {"schema": {"type": "string"}},
            },
        }
    },
)
def recognition_report(query: ReportQuery):
    """Recognition by department, value, giver or recipient, with participation.

    Counts the recognitions given in [from, to), except reaction kudos taken back. `department` is
    each recipient's current department, and its `recognitions` are recognitions received: a
    recognition to two people of one department counts twice there, as it does by recipient (and
    its points are the points they received). By value and by giver, a recognition counts once and
    its points are all its recipients'. `gave` and `received` count people with at least one.
    """
    policy = ctx().recognition_policy
    rows, part = reports.recognition_report(
        ctx().store, query.from_, query.to, query.group_by, timezone=policy.timezone, hr_ids=True
    )
    active = part.active_employees or 1
    # Plain dicts shaped as ReportOut: a report by person has a row per person, and a model each
    # cost more than reading the report.
    out = {
        "group_by": query.group_by,
        "rows": [{"key": key, "recognitions": n, "points": p} for key, n, p in rows],
        "participation": {
            "active_employees": part.active_employees,
            "gave": part.gave,
            "received": part.received,
            "gave_share": round(part.gave / active, 4),
            "received_share": round(part.received / active, 4),
        },
    }
    if _wants_csv():
        return _csv(out)
    return out


def _wants_csv() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/csv"])
    return best == "text/csv"


def _csv(report: dict) -> Response:
    p = report["participation"]
    rows: list[list[object]] = [[report["group_by"], "recognitions", "points"]]
    rows += [[row["key"] or "", row["recognitions"], row["points"]] for row in report["rows"]]
    rows += [
        [],
        ["active_employees", "gave", "received", "gave_share", "received_share"],
        [p["active_employees"], p["gave"], p["received"], p["gave_share"], p["received_share"]],
    ]
    return Response(csv_text(rows), mimetype="text/csv")
