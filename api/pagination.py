"""Opaque cursors: a page ends with `next_cursor`, which the next request hands back."""

from __future__ import annotations

import base64
import json
from typing import Any

from rewards.errors import DomainError


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
    if position is None:
        return None
    if isinstance(position, bool) or not isinstance(position, int):
        raise BadCursor("The cursor is not one this API gave out.")
    return position
