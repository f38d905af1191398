"""Employee records: concurrent creation from HR sync, and what a redemption needs of them."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from rewards import errors
from rewards.model import CatalogItem, ItemKind
from rewards.policy import RedemptionPolicy
from rewards.services.catalog import add_item
from rewards.services.employees import upsert_employee
from rewards.services.redemptions import request_redemption
from tests.factories import balances, employee, fund_wallet


def test_concurrent_syncs_of_one_new_employee_make_one_record(store):
    start = threading.Barrier(8)

    def sync(n: int) -> bool:
        start.wait()
        _, created = upsert_employee(store.uow(), "E-NEW", {"department": f"team {n}"}, store.clock)
        return created

    with ThreadPoolExecutor(8) as pool:
        created = list(pool.map(sync, range(8)))
    assert created.count(True) == 1
    with store.reader() as uow:
        assert uow.employees.get_by_external_id("E-NEW") is not None


def test_merchandise_needs_a_postal_address(store):
    hoodie = add_item(
        store.uow(), CatalogItem(id=0, name="Hoodie", points_cost=30, kind=ItemKind.MERCHANDISE), store.clock
    )
    nowhere, home = employee(store), employee(store, postal_address="1 Main St, Leeds")
    for person in (nowhere, home):
        fund_wallet(store, person, 100)
    policy = RedemptionPolicy(approval_threshold=None)
    with pytest.raises(errors.AddressRequired, match="postal address"):
        request_redemption(store.uow(), nowhere.id, hoodie.id, "m1", policy, store.clock)
    assert balances(store, nowhere)["wallet"] == 100
    assert request_redemption(store.uow(), home.id, hoodie.id, "m2", policy, store.clock).state == "approved"
