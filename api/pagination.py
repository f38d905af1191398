"""Opaque cursors: a page ends with `next_cursor`, which the next request hands back."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from rewards.errors import DomainError

MAX_ID = 2**63  # ids are BIGINT on PostgreSQL, INTEGER (64-bit) on SQLite


class BadCursor(DomainError):
    code = "invalid_cursor"
    status = 422


def encode(position: Any) -> str:
    raw = json.dumps(position, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str | None) -> Any:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeError):
        raise BadCursor("The cursor is not one this API gave out.") from None


def page(items: list, limit: int, position_of) -> tuple[list, str | None]:
    """Trim a query result fetched with limit+1 rows; return the page and the next cursor."""
    if len(items) <= limit:
        return items, None
    kept = items[:limit]
    return kept, encode(position_of(kept[-1]))


def id_cursor(cursor: str | None) -> int | None:
    """The last id of the previous page, from a cursor made by `page(..., lambda x: x.id)`."""
    position = decode(cursor)
    return None if position is None else _id(position)


def _id(position: Any) -> int:
    # Ids are 64-bit signed: a larger number overflows SQLite's binding (a 500), and no page ends
    # at a negative one.
    if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position < MAX_ID:
        raise BadCursor("The cursor is not one this API gave out.")
    return position


def bounded_id_cursor(cursor: str | None) -> tuple[int | None, int | None]:
    """The last id of the previous page and the bound the listing carries with it (None without
    one), from a cursor made by `page(..., lambda x: x.id)` or `page(..., lambda x: [x.id, bound])`."""
    position = decode(cursor)
    if isinstance(position, list) and len(position) == 2:
        return _id(position[0]), _id(position[1])
    return _id(position) if position is not None else None, None


def time_id_cursor(cursor: str | None) -> tuple[datetime, str] | None:
    """The (time, id) that ended the previous page, from a cursor made by
    `page(..., lambda x: [x.<time>.isoformat(), x.id])`."""
    position = decode(cursor)
    if position is None:
        return None
    if isinstance(position, list) and len(position) == 2 and all(isinstance(p, str) for p in position):
        try:
            at = datetime.fromisoformat(position[0])
        except ValueError:
            at = None
        if at is not None and at.tzinfo is not None:
            return at, position[1]
    raise BadCursor("The cursor is not one this API gave out.")
