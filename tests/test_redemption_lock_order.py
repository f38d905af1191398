"""A decision that returns an item to stock, racing a request for the same item by the same
person, never deadlocks: both lock the item before the person's accounts."""

from __future__ import annotations

import threading

from rewards.model import CatalogItem, RedemptionState
from rewards.policy import RedemptionPolicy
from rewards.services.catalog import add_item
from rewards.services.redemptions import decide_redemption, request_redemption
from storage.ledger.verify import verify_ledger
from tests.factories import balances, employee, fund_wallet

POLICY = RedemptionPolicy(approval_threshold=100)


def race(*actions) -> list[object]:
    """Run these at the same moment; what each returned or raised."""
    barrier = threading.Barrier(len(actions))
    outcomes: list[object] = []

    def run(action):
        barrier.wait()
        try:
            outcomes.append(action())
        except Exception as failed:  # noqa: BLE001 - the test names what failed
            outcomes.append(failed)

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_a_reject_racing_a_request_for_the_same_item_deadlocks_neither(store):
    trip = add_item(store.uow(), CatalogItem(id=0, name="Trip", points_cost=200, stock=100), store.clock)
    for n in range(12):
        person = employee(store, external_id=f"E-LOCK-{n}")
        fund_wallet(store, person, 400)
        first = request_redemption(store.uow(), person.id, trip.id, f"first-{n}", POLICY, store.clock)

        def reject(first=first, n=n):
            return decide_redemption(
                store.uow(), first.id, "cancel", f"cancel-{n}", store.clock, POLICY, check_approver=False
            )

        def request(person=person, n=n):
            return request_redemption(store.uow(), person.id, trip.id, f"second-{n}", POLICY, store.clock)

        outcomes = race(reject, request)
        failures = [o for o in outcomes if isinstance(o, Exception)]
        assert failures == [], f"round {n}: {failures}"
        assert sorted(o.state for o in outcomes) == [RedemptionState.CANCELLED, RedemptionState.REQUESTED]
        assert balances(store, person) == {"allowance": 0, "wallet": 200, "held": 200}
    with store.reader() as uow:
        assert uow.catalog.get(trip.id).stock == 100 - 12  # each round: one taken back, one taken
    assert verify_ledger(store.engine) == []
