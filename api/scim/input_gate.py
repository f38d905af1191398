"""The one gate every SCIM body, path id and query value passes: JSON nesting and string content."""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 32  # SCIM resources nest a few levels; deeper input only feeds recursion
# NUL (PostgreSQL text cannot hold it) and lone UTF-16 surrogates (not encodable as UTF-8).
FORBIDDEN = re.compile("[\x00\ud800-\udfff]")


class UnreadableBody(ValueError):
    """The body is not a JSON object SCIM can read (syntax, or nested too deep)."""


class BadString(ValueError):
    """A string holds a character no attribute may: `attribute` names where."""

    def __init__(self, attribute: str) -> None:
        super().__init__(attribute)
        self.attribute = attribute


def parsed_object(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object; UnreadableBody when it is not one or nests past MAX_DEPTH,
    BadString when any key or string holds NUL or a lone surrogate."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise UnreadableBody("The body must be a JSON object.") from None
    if not isinstance(body, dict):
        raise UnreadableBody("The body must be a JSON object.")
    check_strings(body)
    return body


def check_strings(value: Any) -> None:
    """Raise BadString naming the first attribute (dotted path) holding a forbidden character,
    UnreadableBody when the value nests past MAX_DEPTH; walked without recursion."""
    pending: list[tuple[str, int, Any]] = [("", 0, value)]
    while pending:
        path, depth, item = pending.pop()
        if depth > MAX_DEPTH:
            raise UnreadableBody(f"The body nests deeper than {MAX_DEPTH} levels.")
        if isinstance(item, str):
            if FORBIDDEN.search(item):
                raise BadString(path or "body")
        elif isinstance(item, dict):
            for key, child in item.items():
                if FORBIDDEN.search(str(key)):
                    raise BadString(path or "body")
                pending.append((f"{path}.{key}" if path else str(key), depth + 1, child))
        elif isinstance(item, list):
            pending.extend((path, depth + 1, child) for child in item)


def clean(text: str) -> bool:
    """Whether a path id or query value is free of NUL and lone surrogates."""
    return FORBIDDEN.search(text) is None
