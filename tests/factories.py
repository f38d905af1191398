"""Helpers that put people and points into a store through the real services."""

from __future__ import annotations

import itertools
from datetime import date

from rewards.model import AccountKind, Employee
from rewards.services.allowance import grant_allowance
from rewards.services.awards import IssueAward, issue_award
from rewards.services.employees import upsert_employee
from storage.store import Store

_serial = itertools.count(1)


def employee(store: Store, **fields) -> Employee:
    n = next(_serial)
    defaults = {
        "email": f"person{n}@example.com",
        "display_name": f"Person {n}",
        "slack_user_id": f"U{n:06d}",
        "birth_date": date(1990, 1, 1 + n % 27),
        "hire_date": date(2020, 5, 1 + n % 27),
        "timezone": "UTC",
    }
    defaults.update(fields)
    external_id = defaults.pop("external_id", f"hr-{n}")
    created, _ = upsert_employee(store.uow(), external_id, defaults, store.clock)
    return created


def give_allowance(store: Store, emp: Employee, points: int, period: str = "2026-03") -> None:
    grant_allowance(store.uow(), emp.id, points, period, store.clock)


def fund_wallet(store: Store, emp: Employee, points: int, key: str | None = None) -> None:
    issue_award(
        store.uow(),
        IssueAward(
            employee_ids=[emp.id],
            points=points,
            reason="seed",
            idempotency_key=key or f"seed:{emp.id}:{next(_serial)}",
            notify=False,
        ),
        store.clock,
    )


def balances(store: Store, emp: Employee) -> dict[str, int]:
    with store.reader() as uow:
        return {
            kind.value: uow.ledger.balance(uow.ledger.account_id(emp.id, kind))
            for kind in (AccountKind.ALLOWANCE, AccountKind.WALLET, AccountKind.HELD)
        }
