"""A tampered cursor is refused as a bad cursor on every listing, never a server error: an id
cursor must be a position a page could end at (0 <= id < 2**63). The transaction listing's
cursor may also carry the bound of its date window."""

from __future__ import annotations

from datetime import datetime

import pytest

from api.pagination import MAX_ID, decode, encode
from tests.factories import employee, fund_wallet

LISTINGS = [
    "/api/v1/ledger/transactions",
    "/api/v1/recognitions",
    "/api/v1/redemptions",
    "/api/v1/catalog/items",
    "/api/v1/employees",
]
TAMPERED = [10**30, MAX_ID, -1, 1.5, "7", True, [1, 2, 3], [1, "7"], {"id": 1}]
# The transaction listing's cursor may carry the window's greatest id too: [last id, bound].
PAIRS = [[10**30, 5], [5, 10**30], [5, -1], [-1, 5], [5, MAX_ID], [True, 5], [5, 1.5]]


def _subscription(hr) -> int:
    response = hr.post(
        "/api/v1/webhooks",
        key="tampered-cursor-hook",
        json={"url": "https://hooks.example.com/plaudit", "events": ["recognition.created"]},
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["id"]


def _paths(hr) -> list[str]:
    return [*LISTINGS, f"/api/v1/webhooks/{_subscription(hr)}/deliveries"]


@pytest.mark.usefixtures("example_names_resolve")
def test_an_out_of_range_or_mistyped_cursor_is_a_bad_cursor_on_every_listing(hr):
    for path in _paths(hr):
        pairs = PAIRS if path.endswith("/transactions") else [[1, 2]]
        for position in [*TAMPERED, *pairs]:
            response = hr.get(f"{path}?cursor={encode(position)}")
            where = f"{path} with {position!r}"
            assert response.status_code == 422, where
            assert response.headers["Content-Type"] == "application/problem+json", where
            assert response.get_json()["code"] == "invalid_cursor", where


@pytest.mark.usefixtures("example_names_resolve")
def test_the_largest_id_a_cursor_may_hold_is_still_a_page(hr):
    for path in _paths(hr):
        if path.endswith("/employees"):
            continue  # its cursor is a (time, id) pair
        for position in [MAX_ID - 1, 0] + (
            [[MAX_ID - 1, MAX_ID - 1]] if path.endswith("/transactions") else []
        ):
            response = hr.get(f"{path}?cursor={encode(position)}")
            assert response.status_code == 200, (path, position, response.get_data(as_text=True))


def test_a_transaction_window_is_paged_exactly_with_its_bound_in_the_cursor(store, hr, clock):
    """With `since` and `until`, the cursor carries the window's greatest id from the first page."""
    people = [employee(store) for _ in range(3)]
    stamps = []
    for n in range(8):
        clock.advance(seconds=30)
        stamps.append(clock.now())
        fund_wallet(store, people[n % 3], 5 + n)
    window = {"since": stamps[2].isoformat(), "until": stamps[6].isoformat(), "limit": 2}
    listed, cursors = [], []
    query = dict(window)
    while True:
        body = hr.get("/api/v1/ledger/transactions", query_string=query).get_json()
        listed += [t["id"] for t in body["items"]]
        if body["next_cursor"] is None:
            break
        cursors.append(decode(body["next_cursor"]))
        query = {**window, "cursor": body["next_cursor"]}
    everything = hr.get("/api/v1/ledger/transactions", query_string={"limit": 100}).get_json()["items"]
    inside = [t["id"] for t in everything if stamps[2] <= datetime.fromisoformat(t["created_at"]) < stamps[6]]
    assert listed == inside and len(inside) == 4
    assert cursors == [[inside[1], inside[-1]]]
