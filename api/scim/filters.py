"""SCIM filters: parsed by scim2-models, narrowed through blind indexes, decided in memory.

Personal attributes are stored encrypted, so the database can only answer equality through a
keyed hash. A filter's `eq` on an indexed attribute (userName, externalId, emails.value,
employeeNumber, id) picks its candidates, each turned into its SCIM form and matched by the parsed
filter (`ScimFilter.match`). Any other filter (co, sw, pr, ne, ...) is compiled
(`api.scim.compiled_filter`) and decided on the fields it names of every employee served
(decrypted lazily) or every team; one it cannot compile is matched on full SCIM resources.
Narrowing never changes an answer, only its cost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from scim2_models import InvalidFilterException, InvalidValueException, ScimFilter
from scim2_models.path import (
    CompareOperator,
    Comparison,
    FilterNode,
    LogicalExpr,
    LogicalOperator,
    Not,
    ValuePath,
)

from api.scim import input_gate

MAX_FILTER_LENGTH = 2000

# (attribute, sub-attribute, schema URN or None) -> the name of a lookup that answers its `eq`.
Lookup = Callable[[str], Iterable[str]]


def parse(model: Any, text: str | None) -> ScimFilter[Any] | None:
    """The parsed, checked filter (None when absent); a bad one is 400 invalidFilter."""
    if text is None or not text.strip():
        return None
    if len(text) > MAX_FILTER_LENGTH:
        raise InvalidFilterException(detail=f"filter is longer than {MAX_FILTER_LENGTH} characters")
    try:
        parsed = ScimFilter[model](text)
        parsed._validate_semantics(strict=True)
    except InvalidFilterException:
        raise
    except (ValueError, TypeError) as exc:
        raise InvalidFilterException(detail=f"filter: {exc}") from None
    if not all(input_gate.clean(value) for value in _compared_strings(parsed.ast)):
        # A filter string's escapes (\u0000, \ud800) decode to what no attribute can hold.
        raise InvalidValueException(detail="filter: must not contain NUL or unpaired surrogate characters")
    return parsed


def _compared_strings(root: FilterNode) -> list[str]:
    """Every string a filter compares against, walked without recursion."""
    found: list[str] = []
    pending: list[Any] = [root]
    while pending:
        node = pending.pop()
        if isinstance(node, Comparison) and isinstance(node.value, str):
            found.append(node.value)
        elif isinstance(node, LogicalExpr):
            pending.extend(node.terms)
        elif isinstance(node, Not):
            pending.append(node.expr)
        elif isinstance(node, ValuePath):
            pending.append(node.val_filter)
    return found


def candidates(node: FilterNode, lookups: dict[str, Lookup]) -> set[str] | None:
    """Ids that can match, found through indexes; None when the filter needs everyone read."""
    if isinstance(node, Comparison) and node.op == CompareOperator.eq and isinstance(node.value, str):
        lookup = lookups.get(_key(node))
        return None if lookup is None else set(lookup(node.value))
    if isinstance(node, LogicalExpr):
        found = [candidates(term, lookups) for term in node.terms]
        if node.op == LogicalOperator.and_:
            narrowed = [ids for ids in found if ids is not None]
            return set.intersection(*narrowed) if narrowed else None
        if any(ids is None for ids in found):
            return None
        return set().union(*[ids for ids in found if ids is not None])
    return None


def _key(node: Comparison) -> str:
    path = node.attr_path
    name = path.attr.lower() + (f".{path.sub_attr.lower()}" if path.sub_attr else "")
    return f"{path.uri.lower()}:{name}" if path.uri else name
