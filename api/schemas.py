"""Request and response models shared by the routes; integers are strict (no "5", no true)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool


def _strict_int(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a whole number, not true or false")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if not isinstance(value, int):
        raise ValueError("must be a whole number (a JSON number, not a string)")
    return value


# A JSON integer: no strings, no booleans (5.0 counts as 5). Bounds are added where it is used.
StrictInt = Annotated[int, BeforeValidator(_strict_int)]
# The default of a PATCH field left out of the body; an explicit null is refused by the field's type.
NOT_SENT: Any = None


def _iso_datetime(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date-time with a UTC offset")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("must be an ISO 8601 date-time such as 2026-03-01T00:00:00Z") from None
    if parsed.tzinfo is None:
        raise ValueError("must carry a UTC offset, e.g. Z or +02:00")
    try:
        parsed.astimezone(UTC)  # stored and compared in UTC: 0001-01-01T00:00+05:00 has no UTC time
    except OverflowError:
        raise ValueError("is out of range: its time in UTC must fall in the years 1 to 9999") from None
    return parsed


Bool = StrictBool
Points = Annotated[StrictInt, Field(ge=1, le=1_000_000)]
Id = Annotated[StrictInt, Field(ge=1, le=2**53)]
DateTime = Annotated[datetime, BeforeValidator(_iso_datetime)]
ExternalId = Annotated[
    str,
    Field(
        min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._:@-]+$", json_schema_extra={"example": "E-1001"}
    ),
]


class Body(BaseModel):
    """A request body: unknown fields are refused, so a typo is an error and not a silent no-op."""

    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RequestPart(BaseModel):
    """A header or query model. flask-openapi3 asks for its JSON schema on every request;
    the schema never changes, so it is built once per class."""

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        if args or kwargs:
            return super().model_json_schema(*args, **kwargs)
        cached = _SCHEMAS.get(cls)
        if cached is None:
            cached = _SCHEMAS[cls] = super().model_json_schema()
        return cached


_SCHEMAS: dict[type, dict[str, Any]] = {}


class IdempotencyHeader(RequestPart):
    idempotency_key: str = Field(
        alias="Idempotency-Key",  # api.idempotency.HEADER (a literal, for mypy)
        min_length=1,
        max_length=200,
        description="A unique value per operation (a UUID). Repeats return the first response.",
    )


class OptionalIdempotencyHeader(RequestPart):
    idempotency_key: str | None = Field(
        default=None,
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Optional: a unique value per operation; repeats return the first response.",
    )


class PageQuery(RequestPart):
    cursor: str | None = Field(
        default=None, max_length=200, description="`next_cursor` of the previous page."
    )
    limit: int = Field(default=100, ge=1, le=1000)


class Deleted(Out):
    deleted: bool = True
