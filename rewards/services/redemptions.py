"""Redemptions: spend wallet points on a catalog item, with approval when the item needs it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from rewards import errors
from rewards.clock import Clock
from rewards.model import (
    AccountKind,
    Employee,
    ItemKind,
    LedgerTransaction,
    Posting,
    Redemption,
    RedemptionState,
)
from rewards.policy import MAX_DECISION_REASON_LENGTH, RedemptionPolicy
from rewards.ports import EmployeeRepository, UnitOfWork
from rewards.recognition_rules import check_length
from rewards.redemption_states import transition
from rewards.services import lookups
from rewards.services.idempotency import fingerprint, run_once

S = RedemptionState


RESTOCKING = (S.REJECTED, S.CANCELLED, S.EXPIRED)  # what returns the item to stock
MAX_CHAIN = 50  # managers walked up at most, so a cycle in the HR data cannot loop forever
MAX_REACH = 100_000  # people walked down at most from one approver


def approvers_for(people: EmployeeRepository, employee: Employee, policy: RedemptionPolicy) -> list[str]:
    """Who is asked to decide: the nearest active manager above the employee, else the HR approvers.

    A deactivated or erased manager is skipped for their own manager; nobody is ever asked to
    decide their own redemption.
    """
    seen = {employee.id}
    manager_id = employee.manager_id
    while manager_id and manager_id not in seen and len(seen) <= MAX_CHAIN:
        seen.add(manager_id)
        manager = people.get_many([manager_id], personal=False).get(manager_id)
        if manager is None:
            break
        if manager.is_active:
            return [manager.id]
        manager_id = manager.manager_id
    return hr_approvers(people, employee, policy)


def hr_approvers(people: EmployeeRepository, employee: Employee, policy: RedemptionPolicy) -> list[str]:
    """The HR approvers who may decide this employee's redemption: active, and not the employee."""
    candidates = [hr for hr in policy.hr_approver_ids if hr != employee.id]
    active = people.active_ids(candidates) if candidates else set()
    return [hr for hr in candidates if hr in active]


def may_decide(
    people: EmployeeRepository, employee: Employee, actor_id: str, policy: RedemptionPolicy
) -> bool:
    """Whether `actor_id` may approve or reject `employee`'s redemption: never their own, never
    while inactive; the designated approver or an active HR approver."""
    if actor_id == employee.id or actor_id not in people.active_ids([actor_id]):
        return False
    return actor_id in approvers_for(people, employee, policy) or actor_id in hr_approvers(
        people, employee, policy
    )


def waiting_for(
    uow: UnitOfWork, approver_id: str, policy: RedemptionPolicy, limit: int = 20
) -> list[tuple[Redemption, Employee]]:
    """Requests this person may decide now, oldest first, each with its requester.

    An HR approver sees everyone's; a manager sees their reports', and those of any deactivated
    manager below them (whose line passes up to them).
    """
    with uow:
        people = uow.employees
        if approver_id not in people.active_ids([approver_id]):
            return []
        scope = None if approver_id in policy.hr_approver_ids else _reports_in_line(people, approver_id)
        if scope == []:
            return []
        pending = uow.redemptions.waiting(scope, limit)
        owners = people.get_many({r.employee_id for r in pending}, personal=False)
        return [
            (r, owners[r.employee_id])
            for r in pending
            if r.employee_id in owners and may_decide(people, owners[r.employee_id], approver_id, policy)
        ]


def _reports_in_line(people: EmployeeRepository, manager_id: str) -> list[str]:
    """Direct reports, and the reports of any deactivated manager below: one query per level."""
    found: list[str] = []
    seen, frontier = {manager_id}, [manager_id]
    while frontier and len(seen) <= MAX_REACH:
        reports = [r for r in people.reports_of(frontier) if r not in seen]
        seen.update(reports)
        found += reports
        active = people.active_ids(reports) if reports else set()
        frontier = [r for r in reports if r not in active]
    return found


def request_redemption(
    uow: UnitOfWork,
    employee_id: str,
    item_id: int,
    key: str,
    policy: RedemptionPolicy,
    clock: Clock,
) -> Redemption:
    """Hold the item's cost from the wallet (or spend it at once when no approval is needed)."""
    digest = fingerprint(employee=employee_id, item=item_id, action="request")

    def perform() -> Redemption:
        employee = lookups.employee(uow, employee_id)
        if not employee.is_active:
            raise errors.InactiveEmployee("Inactive employees cannot redeem rewards.")
        item = lookups.catalog_item(uow, item_id, for_update=True)
        if not item.active:
            raise errors.ItemUnavailable(f"{item.name} is not available any more.")
        if item.stock is not None and item.stock < 1:
            raise errors.OutOfStock(f"{item.name} is out of stock.")
        if item.kind == ItemKind.MERCHANDISE and not employee.postal_address:
            raise errors.AddressRequired(
                f"{item.name} is shipped to you: ask HR to add your postal address first."
            )
        wallet = uow.ledger.account_id(employee.id, AccountKind.WALLET)
        balance = uow.ledger.lock([wallet])[wallet]
        # A deactivation takes this lock too: read the status again behind it, or a request
        # racing it could be left waiting for an approver after the others were cancelled.
        if not lookups.employee(uow, employee_id).is_active:
            raise errors.InactiveEmployee("Inactive employees cannot redeem rewards.")
        if balance < item.points_cost:
            raise errors.InsufficientPoints(
                f"{item.name} costs {item.points_cost} points; you have {balance}.",
                available=balance,
                needed=item.points_cost,
            )
        needs_approval = policy.needs_approval(item.requires_approval, item.points_cost)
        now = clock.now()
        redemption = uow.redemptions.add(
            Redemption(
                id=0,
                employee_id=employee.id,
                item_id=item.id,
                points=item.points_cost,
                state=S.REQUESTED if needs_approval else S.APPROVED,
                needs_approval=needs_approval,
                created_at=now,
                updated_at=now,
                decided_at=None if needs_approval else now,
            )
        )
        target = AccountKind.HELD if needs_approval else AccountKind.REDEEMED
        to_account = uow.ledger.account_id(employee.id if needs_approval else None, target)
        uow.ledger.post(
            "redemption.request",
            key,
            [Posting(wallet, -item.points_cost), Posting(to_account, item.points_cost)],
            at=now,
            actor=employee.id,
            memo=item.name[:200],
            reference=f"redemption:{redemption.id}",
            fingerprint=digest,
        )
        if item.stock is not None:
            uow.catalog.save(replace(item, stock=item.stock - 1, updated_at=now))
        _publish(
            uow, "redemption.requested", redemption, approvers=approvers_for(uow.employees, employee, policy)
        )
        if not needs_approval:
            _publish(uow, "redemption.approved", redemption, decided_by=None)
        return redemption

    return run_once(uow, key, digest, perform, lambda txn: _replay(uow, txn), always_posts=True)


def decide_redemption(
    uow: UnitOfWork,
    redemption_id: int,
    action: str,
    key: str,
    clock: Clock,
    policy: RedemptionPolicy,
    actor_id: str | None = None,
    reason: str | None = None,
    fulfilment: str | None = None,
    check_approver: bool = True,
) -> Redemption:
    """Approve, reject, cancel, expire or fulfil a redemption; exactly one decision wins."""
    if action not in ("approve", "reject", "cancel", "expire", "fulfill"):
        raise ValueError(f"unknown redemption action {action!r}")
    check_length(reason, MAX_DECISION_REASON_LENGTH, "The reason")
    digest = fingerprint(redemption=redemption_id, action=action, reason=reason)

    def perform() -> Redemption:
        redemption = lookups.redemption(uow, redemption_id, for_update=True)
        employee = lookups.employee(uow, redemption.employee_id)
        if employee.erased_at is not None:
            raise errors.EmployeeErased(
                "This redemption belonged to someone whose data was erased: it was cancelled "
                "with the erasure and can no longer be decided or fulfilled.",
                redemption_id=redemption.id,
            )
        deciding = action in ("approve", "reject") and check_approver
        if deciding and actor_id is not None and not may_decide(uow.employees, employee, actor_id, policy):
            raise errors.NotAnApprover(_why_not(employee, actor_id))
        if action == "reject" and check_approver and not (reason or "").strip():
            raise errors.ReasonRequired("Say why the redemption is rejected.")
        if action == "fulfill" and not (fulfilment or "").strip():
            raise errors.ReasonRequired("Give the reward's code, link or instructions.")
        target = transition(redemption, action)
        now = clock.now()
        if target in RESTOCKING:
            _lock_items(uow, [redemption.item_id])
        postings = _postings_for(uow, redemption, action)
        updated = replace(
            redemption,
            state=target,
            updated_at=now,
            decided_by=actor_id if action != "fulfill" else redemption.decided_by,
            decided_at=now if action != "fulfill" else redemption.decided_at,
            decision_reason=reason if action != "fulfill" else redemption.decision_reason,
            fulfilment=fulfilment if action == "fulfill" else redemption.fulfilment,
            fulfilled_at=now if action == "fulfill" else redemption.fulfilled_at,
        )
        uow.redemptions.save(updated)
        uow.ledger.post(
            f"redemption.{action}",
            key,
            postings,
            at=now,
            actor=actor_id,
            memo=(reason or action)[:200],
            reference=f"redemption:{redemption.id}",
            fingerprint=digest,
        )
        if target in RESTOCKING:
            _restock(uow, redemption.item_id, now)
        _publish(uow, f"redemption.{target.value}", updated, decided_by=actor_id, reason=reason)
        return updated

    return run_once(uow, key, digest, perform, lambda txn: _replay(uow, txn), always_posts=True)


def _lock_items(uow: UnitOfWork, item_ids: list[int]) -> None:
    """Items before accounts, in id order: a request locks its item, then the wallet, so a
    decision that restocks must not hold the accounts while it waits for the item."""
    for item_id in sorted(set(item_ids)):
        uow.catalog.get(item_id, for_update=True)


def cancel_open_of_erased(uow: UnitOfWork, employee_id: str, now: datetime) -> int:
    """Cancel an erased person's open redemptions inside the erasure's transaction.

    A requested one gives its held points back to the wallet, an approved one its spent points;
    nothing is published (no message is sent about an erased person). Returns how many.
    """
    cancelled = uow.redemptions.open_of(employee_id)
    _lock_items(uow, [redemption.item_id for redemption in cancelled])
    for redemption in cancelled:
        target = transition(redemption, "cancel")
        postings = _postings_for(uow, redemption, "cancel")
        uow.redemptions.save(
            replace(redemption, state=target, updated_at=now, decided_at=now, decision_reason=None)
        )
        uow.ledger.post(
            "redemption.cancel",
            f"erasure:redemption:{redemption.id}:cancel",
            postings,
            at=now,
            memo="cancel",
            reference=f"redemption:{redemption.id}",
            fingerprint=fingerprint(redemption=redemption.id, action="cancel", reason=None),
        )
        _restock(uow, redemption.item_id, now)
    return len(cancelled)


def _why_not(employee: Employee, actor_id: str) -> str:
    if actor_id == employee.id:
        return "Nobody may approve or reject their own redemption."
    return "Only the designated approver can decide this."


def _postings_for(uow: UnitOfWork, redemption: Redemption, action: str) -> list[Posting]:
    points = redemption.points
    held = uow.ledger.account_id(redemption.employee_id, AccountKind.HELD)
    wallet = uow.ledger.account_id(redemption.employee_id, AccountKind.WALLET)
    redeemed = uow.ledger.account_id(None, AccountKind.REDEEMED)
    if action == "approve":
        uow.ledger.lock([held])
        return [Posting(held, -points), Posting(redeemed, points)]
    if action in ("reject", "expire") or (action == "cancel" and redemption.state == S.REQUESTED):
        uow.ledger.lock(sorted([held, wallet]))
        return [Posting(held, -points), Posting(wallet, points)]
    if action == "cancel":  # approved already: give the spent points back
        uow.ledger.lock([wallet])
        return [Posting(redeemed, -points), Posting(wallet, points)]
    return []  # fulfil moves no points


def _restock(uow: UnitOfWork, item_id: int, now: datetime) -> None:
    item = uow.catalog.get(item_id, for_update=True)
    if item is not None and item.stock is not None:
        uow.catalog.save(replace(item, stock=item.stock + 1, updated_at=now))


def _publish(uow: UnitOfWork, topic: str, redemption: Redemption, **extra: object) -> None:
    uow.events.publish(
        topic,
        {
            "redemption_id": redemption.id,
            "employee_id": redemption.employee_id,
            "item_id": redemption.item_id,
            "points": redemption.points,
            "state": redemption.state.value,
            **extra,
        },
    )


def _replay(uow: UnitOfWork, txn: LedgerTransaction) -> Redemption:
    return lookups.redemption(uow, lookups.reference_id(txn.reference, "redemption"))
