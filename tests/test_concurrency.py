"""Concurrent spends and repeated keys against real databases: no lost or doubled point."""

from __future__ import annotations

import base64
import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from rewards import errors
from rewards.clock import SystemClock
from rewards.model import CatalogItem
from rewards.policy import RedemptionPolicy
from rewards.services.catalog import add_item
from rewards.services.redemptions import request_redemption
from storage.ledger.verify import verify_ledger
from storage.store import Store
from tests.factories import balances, employee, fund_wallet

POLICY = RedemptionPolicy(approval_threshold=None)
COST = 7


def _item(store: Store) -> CatalogItem:
    return add_item(store.uow(), CatalogItem(id=0, name="Coffee voucher", points_cost=COST), store.clock)


def _spend(store: Store, employee_id: str, item_id: int, key: str) -> str:
    try:
        request_redemption(store.uow(), employee_id, item_id, key, POLICY, store.clock)
        return "ok"
    except errors.InsufficientPoints:
        return "insufficient"


@pytest.fixture
def wallet_for_ten(store):
    """An employee whose wallet covers exactly ten spends of the item."""
    ana = employee(store)
    fund_wallet(store, ana, COST * 10)
    return ana, _item(store)


def test_fifty_threads_spend_a_wallet_that_covers_exactly_ten(store, wallet_for_ten):
    ana, item = wallet_for_ten
    start = threading.Barrier(50)

    def attempt(n: int) -> str:
        start.wait()
        return _spend(store, ana.id, item.id, f"spend-{n}")

    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = list(pool.map(attempt, range(50)))

    assert outcomes.count("ok") == 10
    assert outcomes.count("insufficient") == 40
    assert balances(store, ana)["wallet"] == 0
    assert verify_ledger(store.engine) == []


def _process_spender(url, keyring_text, blind_key, employee_id, item_id, worker, results):
    from storage.encryption.ciphers import BlindIndex, Keyring

    store = Store.open(url, Keyring.parse(keyring_text), BlindIndex(blind_key), SystemClock())
    outcomes = [_spend(store, employee_id, item_id, f"proc-{worker}-{n}") for n in range(8)]
    store.close()
    results.put(outcomes)


def test_four_processes_spend_a_wallet_that_covers_exactly_ten(store, wallet_for_ten, keyring, blind_index):
    ana, item = wallet_for_ten
    keyring_text = ",".join(f"{kid}:{base64.b64encode(k).decode()}" for kid, k in keyring.keys)
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    procs = [
        ctx.Process(
            target=_process_spender,
            args=(
                store.engine.url.render_as_string(hide_password=False),
                keyring_text,
                blind_index._key,
                ana.id,
                item.id,
                w,
                results,
            ),
        )
        for w in range(4)
    ]
    for proc in procs:
        proc.start()
    outcomes = [o for _ in procs for o in results.get(timeout=120)]
    for proc in procs:
        proc.join(timeout=30)
        assert proc.exitcode == 0

    assert outcomes.count("ok") == 10
    assert outcomes.count("insufficient") == 22
    assert balances(store, ana)["wallet"] == 0
    assert verify_ledger(store.engine) == []


def test_one_key_used_twice_concurrently_makes_one_transaction(store, wallet_for_ten):
    ana, item = wallet_for_ten
    start = threading.Barrier(20)

    def attempt(_n: int) -> int:
        start.wait()
        return request_redemption(store.uow(), ana.id, item.id, "one-key", POLICY, store.clock).id

    with ThreadPoolExecutor(max_workers=20) as pool:
        ids = set(pool.map(attempt, range(20)))

    assert len(ids) == 1  # every caller sees the one redemption
    assert balances(store, ana)["wallet"] == COST * 9
    with store.reader() as uow:
        assert uow.ledger.find("one-key") is not None
    assert verify_ledger(store.engine) == []


def test_a_repeated_key_whose_first_use_emptied_the_wallet_replays_instead_of_refusing(store):
    ana = employee(store)
    fund_wallet(store, ana, COST)
    item = _item(store)
    first = request_redemption(store.uow(), ana.id, item.id, "k", POLICY, store.clock)
    again = request_redemption(store.uow(), ana.id, item.id, "k", POLICY, store.clock)
    assert again.id == first.id


def test_thirty_threads_give_from_an_allowance_that_covers_exactly_ten(store):
    """Gives read people before SQLite's write lock (the give declares `rechecked_under_lock`):
    the allowance and the daily cap, checked under it, still hold exactly when thirty gives race
    for ten gives' worth."""
    from rewards.policy import RecognitionPolicy
    from rewards.services.recognition import GiveRecognition, give_recognition
    from tests.factories import give_allowance

    giver, *others = [employee(store) for _ in range(4)]
    give_allowance(store, giver, 50)  # ten gives of 5
    policy = RecognitionPolicy(max_points=50, daily_cap_per_recipient=25)  # 5 gives per person
    start = threading.Barrier(30)

    def attempt(n: int) -> str:
        start.wait()
        cmd = GiveRecognition(
            giver_id=giver.id,
            recipient_ids=[others[n % 3].id],
            points=5,
            reason="thanks for the help",
            idempotency_key=f"give-{n % 15}",
        )
        try:
            give_recognition(store.uow(), cmd, policy, store.clock)
            return "ok"
        except (errors.InsufficientPoints, errors.DailyCapExceeded):
            return "refused"

    with ThreadPoolExecutor(max_workers=30) as pool:
        outcomes = list(pool.map(attempt, range(30)))

    wallets = [balances(store, person)["wallet"] for person in others]
    assert sum(wallets) == 50 and balances(store, giver)["allowance"] == 0
    assert max(wallets) <= 25  # the daily cap held per recipient
    assert outcomes.count("ok") >= 10  # repeats of a key that gave replay it as "ok"
    assert verify_ledger(store.engine) == []
