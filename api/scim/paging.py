"""SCIM list paging (RFC 7644 §3.4.2.4) and the attributes / excludedAttributes parameters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request
from scim2_models import Context, InvalidValueException, ResponseParameters, SearchRequest

from api.scim.blueprint import json_body

MAX_RESULTS = 1000  # announced as filter.maxResults; a larger count is cut to it


@dataclass(frozen=True)
class Page:
    start_index: int  # 1-based
    count: int

    def cut(self, items: list) -> list:
        """The page's items from the whole filtered, ordered list."""
        return items[self.start_index - 1 : self.start_index - 1 + self.count]


LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


def list_response(resources: list[dict[str, Any]], total: int, start_index: int) -> dict[str, Any]:
    """A ListResponse message around resources already dumped."""
    return {
        "schemas": [LIST_RESPONSE],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


def requested_page() -> Page:
    """startIndex (below 1 reads as 1) and count (negative reads as 0, at most MAX_RESULTS)."""
    start = _integer("startIndex", 1)
    count = _integer("count", MAX_RESULTS)
    return Page(start_index=max(start, 1), count=min(max(count, 0), MAX_RESULTS))


def _integer(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise InvalidValueException(detail=f"{name} must be an integer, not {raw[:40]!r}") from None


def attribute_lists() -> tuple[list[str] | None, list[str] | None]:
    """The comma-separated `attributes` and `excludedAttributes` query parameters."""
    return _names("attributes"), _names("excludedAttributes")


def _names(parameter: str) -> list[str] | None:
    raw = request.args.get(parameter)
    if not raw:
        return None
    names = [name.strip() for name in raw.split(",") if name.strip()]
    return names or None


def response_parameters(
    model: Any, attributes: list[str] | None, excluded: list[str] | None
) -> ResponseParameters[Any] | None:
    """attributes / excludedAttributes checked against `model` (None when neither is asked)."""
    if attributes is None and excluded is None:
        return None
    return ResponseParameters[model].model_validate(
        {"attributes": attributes, "excludedAttributes": excluded}
    )


Query = tuple[str | None, Page, ResponseParameters[Any] | None]


def query_of_url(model: Any) -> Query:
    """A listing's filter, page and attributes from the query string (GET /Users, GET /Groups)."""
    return request.args.get("filter"), requested_page(), response_parameters(model, *attribute_lists())


def query_of_search(model: Any) -> Query:
    """The same from a SearchRequest body (POST …/.search)."""
    search: SearchRequest[Any] = SearchRequest.model_validate(json_body(), scim_ctx=Context.SEARCH_REQUEST)
    page = Page(
        start_index=max(search.start_index or 1, 1),
        count=min(max(search.count if search.count is not None else MAX_RESULTS, 0), MAX_RESULTS),
    )
    parameters = response_parameters(
        model,
        [str(a) for a in search.attributes or []] or None,
        [str(a) for a in search.excluded_attributes or []] or None,
    )
    return str(search.filter) if search.filter else None, page, parameters
