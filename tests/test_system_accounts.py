"""System accounts: the ledger remembers only the accounts a committed transaction created."""

from __future__ import annotations

from rewards.model import AccountKind
from storage.ledger.verify import verify_ledger
from tests.factories import balances, employee, fund_wallet


def test_a_system_account_from_a_rolled_back_transaction_is_not_remembered(store):
    ana = employee(store)
    with store.uow() as uow:
        uow.ledger.account_id(None, AccountKind.ISSUANCE)  # created here, then rolled back
        uow.rollback()
    fund_wallet(store, ana, 10)  # must not post to the account that never was
    assert balances(store, ana)["wallet"] == 10
    assert verify_ledger(store.engine) == []
