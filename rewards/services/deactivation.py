"""Deactivation, through any door: a person going from active to inactive gets their pending
redemptions cancelled, their held points back in their wallet, once.

Requested redemptions (points held, nobody has decided) are cancelled: no approver should be asked
about someone who left, and the points return to the wallet, which the person keeps. Approved
ones are kept for HR, who may still fulfil them (a gift already ordered) or cancel them by hand.
Re-activation changes nothing here: the history, the wallet and the cancelled requests stay as
they are. Erasure has its own, stricter rule (`cancel_open_of_erased`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime

from rewards.model import AccountKind, Employee, Posting, Redemption, RedemptionState
from rewards.ports import UnitOfWork
from rewards.redemption_states import transition
from rewards.services.idempotency import fingerprint

REASON = "deactivated"


def went_inactive(before: Employee | None, after: Employee) -> bool:
    """Whether this change takes an active person out of service (erasure is not this rule's)."""
    return before is not None and before.is_active and not after.is_active and after.erased_at is None


def after_status_change(uow: UnitOfWork, before: Employee | None, after: Employee, now: datetime) -> int:
    """Call inside the transaction that saved `after`: cancels the requested redemptions of
    someone who just went inactive (held points back to their wallet). Returns how many.

    Exactly once: each cancellation is a ledger transaction with a key of its own, and the
    redemptions are read locked, so a concurrent second deactivation finds none left to cancel.

    None left behind: a request takes the person's wallet lock and then reads their status
    again. So once the requests seen are cancelled this takes the wallet lock (held already if
    it cancelled any) and looks again: a request that committed meanwhile is found and cancelled,
    one still to come waits for this commit and then finds the person inactive.
    """
    if not went_inactive(before, after):
        return 0
    cancelled = _cancel_requested(uow, after.id, now)
    uow.ledger.lock([uow.ledger.account_id(after.id, AccountKind.WALLET)])
    return cancelled + _cancel_requested(uow, after.id, now)


def _cancel_requested(uow: UnitOfWork, employee_id: str, now: datetime) -> int:
    """Cancel the person's requested redemptions, locking as a request does: the catalog items
    (in id order) before the person's accounts, so a request racing this cannot deadlock with it."""
    pending = [r for r in uow.redemptions.open_of(employee_id) if r.state == RedemptionState.REQUESTED]
    if not pending:
        return 0
    restocked = Counter(r.item_id for r in pending)
    items = {item_id: uow.catalog.get(item_id, for_update=True) for item_id in sorted(restocked)}
    held = uow.ledger.account_id(employee_id, AccountKind.HELD)
    wallet = uow.ledger.account_id(employee_id, AccountKind.WALLET)
    uow.ledger.lock([held, wallet])
    for redemption in pending:
        _cancel(uow, redemption, held, wallet, now)
    for item_id, count in restocked.items():
        item = items[item_id]
        if item is not None and item.stock is not None:
            uow.catalog.save(replace(item, stock=item.stock + count, updated_at=now))
    return len(pending)


def _cancel(uow: UnitOfWork, redemption: Redemption, held: int, wallet: int, now: datetime) -> None:
    cancelled = replace(
        redemption,
        state=transition(redemption, "cancel"),
        updated_at=now,
        decided_at=now,
        decided_by=None,
        decision_reason=REASON,
    )
    uow.redemptions.save(cancelled)
    uow.ledger.post(
        "redemption.cancel",
        f"deactivation:redemption:{redemption.id}:cancel",
        [Posting(held, -redemption.points), Posting(wallet, redemption.points)],
        at=now,
        memo=REASON,
        reference=f"redemption:{redemption.id}",
        fingerprint=fingerprint(redemption=redemption.id, action="cancel", reason=REASON),
    )
    uow.events.publish(
        "redemption.cancelled",
        {
            "redemption_id": cancelled.id,
            "employee_id": cancelled.employee_id,
            "item_id": cancelled.item_id,
            "points": cancelled.points,
            "state": cancelled.state.value,
            "decided_by": None,
            "reason": REASON,
        },
    )
