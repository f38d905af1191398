"""A parsed SCIM filter compiled into a predicate over a record, without building any SCIM resource.

The tree scim2-models parsed is compiled once. Each attribute is resolved by scim2-models
(`ScimFilter.resolve_comparison` / `resolve`), whose binding also gives the comparison form
(`AttributeBinding.comparable`: NFC, and lower case unless the attribute is caseExact, per RFC
7643: userName and emails are not, id and externalId are). A table given by the resource (see
`api.scim.user_filter`, `api.scim.groups`) says how to read each attribute off the record, the way
its SCIM form would show it; an attribute or a node the table does not cover (value paths, name
parts...) makes `compile_filter` answer None, and the caller then matches full SCIM resources.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from scim2_models import ScimFilter
from scim2_models.path import (
    STRING_OPERATORS,
    AttributeBinding,
    CompareOperator,
    Comparison,
    FilterNode,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    coerce_value,
)

Read = Callable[[Any], Any]
Predicate = Callable[[Any], bool]


@dataclass(frozen=True)
class Attribute:
    """How to read one SCIM attribute off a record, and the record's fields that takes."""

    fields: tuple[str, ...]
    read: Read


# (the schema URN holding the attribute, attribute, sub-attribute), as scim2-models names them.
Attributes = dict[tuple[str, str, str | None], Attribute]


@dataclass(frozen=True)
class CompiledFilter:
    """A filter as a predicate, and the record's fields it may read."""

    matches: Predicate
    fields: frozenset[str]


class Unsupported(Exception):
    """A node or attribute the table does not cover: match full SCIM resources instead."""


def compile_filter(parsed: ScimFilter[Any], attributes: Attributes) -> CompiledFilter | None:
    """The filter as a predicate over records `attributes` can read, or None when it needs full
    SCIM resources."""
    needed: set[str] = set()
    try:
        matches = _compile(parsed, parsed.ast, attributes, needed)
    except Unsupported:
        return None
    return CompiledFilter(matches, frozenset(needed))


def _compile(
    parsed: ScimFilter[Any], node: FilterNode, attributes: Attributes, needed: set[str]
) -> Predicate:
    if isinstance(node, LogicalExpr):
        terms = [_compile(parsed, term, attributes, needed) for term in node.terms]
        if node.op == LogicalOperator.and_:
            return lambda f: all(term(f) for term in terms)
        return lambda f: any(term(f) for term in terms)
    if isinstance(node, Not):
        inner = _compile(parsed, node.expr, attributes, needed)
        return lambda f: not inner(f)
    if isinstance(node, Present):
        binding = parsed.resolve(node.attr_path, strict=False)
        if binding is None:
            return lambda _: False
        read = _reader(binding, attributes, needed)
        return lambda f: _present(read(f))
    if isinstance(node, Comparison):
        binding = parsed.resolve_comparison(node.attr_path, strict=False)
        if binding is None:
            return lambda _: False
        if binding.sub_field_name is None and _is_complex(binding.field_type):
            raise Unsupported(binding.urn)  # a whole complex value (manager, meta) compared
        return _comparison(binding, node, _reader(binding, attributes, needed))
    raise Unsupported(type(node).__name__)


def _is_complex(field_type: Any) -> bool:
    return isinstance(field_type, type) and issubclass(field_type, BaseModel)


def _reader(binding: AttributeBinding, attributes: Attributes, needed: set[str]) -> Read:
    schema = str(getattr(binding.model, "__schema__", ""))  # the resource's or the extension's URN
    attribute = attributes.get((schema, binding.field_name, binding.sub_field_name))
    if attribute is None:
        raise Unsupported(binding.urn)
    needed.update(attribute.fields)
    return attribute.read


def _comparison(binding: AttributeBinding, node: Comparison, read: Read) -> Predicate:
    """RFC 7644 §3.4.2.2 on one attribute; a multi-valued one matches when any value does
    (and `ne` when none is equal)."""
    op = node.op
    expected = coerce_value(binding, node.value, op)
    try:
        right = binding.comparable(expected) if expected is not None else None
    except ValueError:  # a string the policy cannot prepare equals nothing
        return lambda _: op == CompareOperator.ne

    def one(actual: Any) -> bool:
        if actual is None or right is None:
            if op == CompareOperator.eq:
                return actual is None and right is None
            return op == CompareOperator.ne and (actual is None) != (right is None)
        try:
            left = binding.comparable(actual)
        except ValueError:
            return op == CompareOperator.ne
        return _holds(op, left, right)

    def matches(f: Any) -> bool:
        actual = read(f)
        if not isinstance(actual, list):
            return one(actual)
        if op == CompareOperator.ne:
            return all(one(item) for item in actual)
        return any(one(item) for item in actual)

    return matches


COMPARE: dict[CompareOperator, Callable[[Any, Any], Any]] = {
    CompareOperator.eq: operator.eq,
    CompareOperator.ne: operator.ne,
    CompareOperator.gt: operator.gt,
    CompareOperator.ge: operator.ge,
    CompareOperator.lt: operator.lt,
    CompareOperator.le: operator.le,
    CompareOperator.co: lambda text, part: part in text,
    CompareOperator.sw: lambda text, part: text.startswith(part),
    CompareOperator.ew: lambda text, part: text.endswith(part),
}


def _holds(op: CompareOperator, left: Any, right: Any) -> bool:
    if op in STRING_OPERATORS and not (isinstance(left, str) and isinstance(right, str)):
        return False
    try:
        return bool(COMPARE[op](left, right))
    except TypeError:  # values of different types never match
        return False


def _present(value: Any) -> bool:
    """`pr`: a non-empty value (False and 0 are values); a list when any entry is one."""
    if value is None:
        return False
    if isinstance(value, str):
        return value != ""
    if isinstance(value, list):
        return any(_present(item) for item in value)
    return True
