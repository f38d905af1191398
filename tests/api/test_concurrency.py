"""Fifty concurrent redemptions over real HTTP against a wallet that covers ten."""

from __future__ import annotations

import threading

from storage.ledger.verify import verify_ledger
from tests.api.callers import call
from tests.factories import balances, employee, fund_wallet


def test_fifty_concurrent_redemptions_exactly_ten_succeed(store, hr, live_server):
    ana = employee(store, external_id="E-1")
    fund_wallet(store, ana, 100)
    item = hr.post("/api/v1/catalog/items", json={"name": "Coffee", "points_cost": 10}).get_json()
    start = threading.Barrier(50)
    results: list[int] = []
    lock = threading.Lock()

    def redeem(n: int) -> None:
        start.wait()
        status, _, body = call(
            live_server,
            "POST",
            "/api/v1/redemptions",
            hr.token,
            {"employee_id": "E-1", "item_id": item["id"]},
            {"Idempotency-Key": f"redeem-{n}"},
        )
        assert status in (201, 409), body
        with lock:
            results.append(status)

    threads = [threading.Thread(target=redeem, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results.count(201) == 10 and results.count(409) == 40
    assert balances(store, ana)["wallet"] == 0
    assert verify_ledger(store.engine) == []
