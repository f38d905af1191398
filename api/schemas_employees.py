"""Employee request and response models."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BeforeValidator, Field, WithJsonSchema, field_validator

from api.schemas import NOT_SENT, Body, Bool, DateTime, ExternalId, Out, PageQuery
from rewards.model import PERSONAL_FIELDS, Employee


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


# Each item is checked on its own by the route, so one bad item fails that item only: the
# schema accepts any item and says what a valid one is.
BulkItem = Annotated[
    Any,
    WithJsonSchema(
        {
            "description": "An employee: `external_id` and the fields of `EmployeeIn` (the PUT body)."
            " An item that is not valid fails on its own, with `invalid_item` in its result.",
            "examples": [{"external_id": "E-1001", "email": "ana@example.com", "department": "Sales"}],
        }
    ),
]


class BulkEmployeesIn(Body):
    items: list[BulkItem] = Field(
        min_length=1,
        max_length=1000,
        description="Employees to create or update; each item succeeds or fails on its own.",
    )


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
    manager_external_id: str | None = Field(description="HR id of the employee's manager.")
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
    def of(cls, employee: Employee, manager_external_id: str | None = None) -> EmployeeOut:
        """The employee as the API shows it; the manager is named by HR id."""
        names = set(cls.model_fields) - {"manager_external_id"}
        values = {name: getattr(employee, name) for name in names}
        return cls(**values, manager_external_id=manager_external_id)


class EmployeeWriteOut(EmployeeOut):
    """An employee written: the personal fields come back only to a client with employees:read."""

    email: str | None = None
    display_name: str | None = None
    birth_date: date | None = None
    hire_date: date | None = None
    phone: str | None = None
    postal_address: str | None = None

    def shown(self, personal: bool) -> dict[str, Any]:
        """JSON for a client that may (or may not) read personal data back."""
        return self.model_dump(mode="json", exclude=None if personal else set(PERSONAL_FIELDS))


class EmployeePage(Out):
    items: list[EmployeeOut]
    next_cursor: str | None


class BulkItemError(Out):
    code: str
    detail: str
    fields: list[str] | None = Field(
        default=None, description="For `invalid_item`: the bad fields, e.g. `email`."
    )


class BulkItemResult(Out):
    index: int = Field(description="Position of the item in `items`, from 0.")
    external_id: str | None = Field(description="null when the item has no valid HR id.")
    result: Literal["created", "updated", "error"]
    id: str | None = None
    error: BulkItemError | None = None


class BulkEmployeesOut(Out):
    created: int
    updated: int
    failed: int
    items: list[BulkItemResult]
