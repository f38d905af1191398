"""`ledger verify` finds and names every broken invariant."""

from __future__ import annotations

from sqlalchemy import insert, select, update

from rewards.model import CatalogItem
from rewards.policy import RedemptionPolicy
from rewards.services.allowance import expire_allowance
from rewards.services.catalog import add_item
from rewards.services.redemptions import request_redemption
from storage.ledger.verify import verify_ledger
from storage.schema.core import AccountRow, PostingRow, RedemptionRow
from tests.factories import balances, employee, fund_wallet, give_allowance


def test_a_healthy_ledger_verifies(store):
    ana = employee(store)
    give_allowance(store, ana, 50)
    expire_allowance(store.uow(), ana.id, "2026-03", store.clock)
    assert balances(store, ana)["allowance"] == 0
    assert verify_ledger(store.engine) == []


def test_a_posting_changed_by_hand_is_caught_and_named(store):
    ana = employee(store)
    fund_wallet(store, ana, 30)
    with store.uow() as uow:
        posting_id, txn_id = uow.session.execute(
            select(PostingRow.id, PostingRow.transaction_id).where(PostingRow.amount == 30)
        ).one()
        uow.session.execute(update(PostingRow).where(PostingRow.id == posting_id).values(amount=35))
        uow.commit()

    found = [str(v) for v in verify_ledger(store.engine)]
    assert f"unbalanced transaction: transaction {txn_id} postings sum to 5, not 0" in found
    assert any(
        "cached balance differs" in v and ":wallet" in v and "caches 30" in v and "sum to 35" in v
        for v in found
    )


def test_a_negative_account_and_a_wrong_hold_are_caught(store):
    ana = employee(store)
    fund_wallet(store, ana, 100)
    day_off = add_item(
        store.uow(), CatalogItem(id=0, name="Day off", points_cost=60, requires_approval=True), store.clock
    )
    pending = request_redemption(store.uow(), ana.id, day_off.id, "r", RedemptionPolicy(), store.clock)
    with store.uow() as uow:
        uow.session.execute(
            update(RedemptionRow).where(RedemptionRow.id == pending.id).values(state="approved")
        )
        wallet = uow.session.scalar(select(AccountRow.id).where(AccountRow.code == f"{ana.id}:wallet"))
        uow.session.execute(insert(PostingRow).values(transaction_id=1, account_id=wallet, amount=-500))
        uow.commit()
    found = [str(v) for v in verify_ledger(store.engine)]
    assert (
        f"redemption hold mismatch: redemption {pending.id} is approved and should hold 0 points, holds 60"
    ) in found
    assert any(v.startswith("negative employee account") and "-460" in v for v in found)
