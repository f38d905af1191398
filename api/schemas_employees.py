"""Employee request and response models."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BeforeValidator, Field, field_validator

from api.schemas import NOT_SENT, Body, Bool, DateTime, ExternalId, Out, PageQuery
from rewards.model import Employee


def _iso_date(value: Any) -> Any:
    if value is not None and not isinstance(value, str):
        raise ValueError("must be a date written YYYY-MM-DD")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Text = Annotated[str, Field(max_length=200)]


class EmployeeFields(Body):
    """Fields an HR system sets; omitted fields stay as they are, null clears one."""

    slack_user_id: Annotated[str, Field(max_length=40, pattern=r"^[UW][A-Z0-9]+$")] | None = None
    manager_external_id: ExternalId | None = None
    department: Text | None = None
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = None
    timezone: Annotated[str, Field(max_length=64, json_schema_extra={"example": "Europe/Paris"})] | None = (
        None
    )
    locale: Annotated[str, Field(max_length=35)] | None = None
    status: Literal["active", "inactive"] = NOT_SENT
    is_guest: Bool = NOT_SENT
    celebration: Literal["public", "private", "none"] = NOT_SENT
    email: Annotated[str, Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")] | None = None
    display_name: Text | None = None
    birth_date: IsoDate | None = None
    hire_date: IsoDate | None = None
    phone: Annotated[str, Field(max_length=40)] | None = None
    postal_address: Annotated[str, Field(max_length=500)] | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            ZoneInfo(value)
        except (KeyError, ValueError):
            raise ValueError("must be an IANA time zone name such as Europe/Paris") from None
        return value


class EmployeeIn(EmployeeFields):
    pass


class BulkEmployee(EmployeeFields):
    external_id: ExternalId


class BulkEmployeesIn(Body):
    items: list[BulkEmployee] = Field(min_length=1, max_length=1000)


class EmployeePath(Body):
    external_id: ExternalId


class EmployeeListQuery(PageQuery):
    updated_since: DateTime | None = Field(
        default=None, description="Only employees changed at or after this time (ISO 8601)."
    )


class EmployeeOut(Out):
    id: str
    external_id: str | None
    slack_user_id: str | None
    manager_id: str | None
    department: str | None
    country: str | None
    timezone: str | None
    locale: str | None
    status: str
    is_guest: bool
    celebration: str
    email: str | None
    display_name: str | None
    birth_date: date | None
    hire_date: date | None
    phone: str | None
    postal_address: str | None
    created_at: datetime | None
    updated_at: datetime | None
    erased_at: datetime | None

    @classmethod
    def of(cls, employee: Employee) -> EmployeeOut:
        return cls(**{name: getattr(employee, name) for name in cls.model_fields})


class EmployeePage(Out):
    items: list[EmployeeOut]
    next_cursor: str | None


class BulkItemError(Out):
    code: str
    detail: str


class BulkItemResult(Out):
    external_id: str
    result: Literal["created", "updated", "error"]
    id: str | None = None
    error: BulkItemError | None = None


class BulkEmployeesOut(Out):
    created: int
    updated: int
    failed: int
    items: list[BulkItemResult]
