"""Batch awards: many employees, each their own points, in one all-or-nothing ledger transaction."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Any

from rewards import errors
from rewards.clock import Clock
from rewards.model import AccountKind, LedgerTransaction, Posting
from rewards.policy import RecognitionPolicy
from rewards.ports import UnitOfWork
from rewards.recognition_rules import check_value
from rewards.services.awards import MAX_AWARD_POINTS
from rewards.services.idempotency import fingerprint, run_once

MAX_BATCH = 10_000


class BatchRejected(errors.DomainError):
    """Some items of a batch cannot be awarded, so none is; `problems` says which and why."""

    code = "batch_rejected"
    status = 422

    def __init__(self, message: str, problems: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.problems = problems


@dataclass(frozen=True)
class AwardBatch:
    awards: list[tuple[str, int]]  # (employee id, points), each employee once
    reason: str
    idempotency_key: str
    value: str | None = None
    notify: bool = True
    actor: str | None = None


def issue_award_batch(
    uow: UnitOfWork, batch: AwardBatch, clock: Clock, policy: RecognitionPolicy | None = None
) -> LedgerTransaction:
    """Credit every item's points from the issuance account in one transaction, once per key.

    A value must be one of the organisation's (`policy.values`), checked as a Slack give checks it.
    """
    policy = policy or RecognitionPolicy()
    batch = replace(batch, value=check_value(batch.value, policy))
    _validate(batch)
    digest = fingerprint(
        awards=sorted(batch.awards), reason=batch.reason, value=batch.value, kind="award.batch"
    )

    def perform() -> LedgerTransaction:
        ids = [employee_id for employee_id, _ in batch.awards]
        active = uow.employees.active_ids(ids)
        refused = [
            {"index": i, "employee_id": eid, "code": "inactive_employee"}
            for i, eid in enumerate(ids)
            if eid not in active
        ]
        if refused:
            raise BatchRejected("Some employees are unknown or inactive; nothing was awarded.", refused)
        wallets = uow.ledger.account_ids(ids, AccountKind.WALLET)
        issuance = uow.ledger.account_id(None, AccountKind.ISSUANCE)
        total = sum(points for _, points in batch.awards)
        txn = uow.ledger.post(
            "award",
            batch.idempotency_key,
            [Posting(issuance, -total), *(Posting(wallets[eid], p) for eid, p in batch.awards)],
            at=clock.now(),
            actor=batch.actor,
            memo=batch.reason[:200],
            reference=f"award.batch:{batch.idempotency_key}"[:200],
            fingerprint=digest,
        )
        _publish(uow, batch, txn)
        return txn

    return run_once(uow, batch.idempotency_key, digest, perform, lambda txn: txn)


def _publish(uow: UnitOfWork, batch: AwardBatch, txn: LedgerTransaction) -> None:
    # One `award.issued` event per distinct amount: the same shape as a single award's event.
    by_points: dict[int, list[str]] = defaultdict(list)
    for employee_id, points in batch.awards:
        by_points[points].append(employee_id)
    for points, employee_ids in sorted(by_points.items()):
        uow.events.publish(
            "award.issued",
            {
                "transaction_id": txn.id,
                "employee_ids": employee_ids,
                "points": points,
                "reason": batch.reason,
                "value": batch.value,
                "notify": batch.notify,
                "batch": True,
            },
        )


def _validate(batch: AwardBatch) -> None:
    if not batch.awards:
        raise errors.NoRecipients("A batch needs at least one award.")
    if len(batch.awards) > MAX_BATCH:
        raise errors.DomainError(f"A batch holds at most {MAX_BATCH} awards.")
    seen: set[str] = set()
    for index, (employee_id, points) in enumerate(batch.awards):
        if employee_id in seen:
            raise BatchRejected(
                "Each employee may appear once per batch.",
                [{"index": index, "employee_id": employee_id, "code": "duplicate"}],
            )
        seen.add(employee_id)
        if isinstance(points, bool) or not isinstance(points, int) or not 1 <= points <= MAX_AWARD_POINTS:
            raise errors.InvalidPoints(
                f"Award points must be a whole number from 1 to {MAX_AWARD_POINTS}.", index=index
            )
    if not batch.reason or not batch.reason.strip():
        raise errors.ReasonRequired("A batch needs a reason.")
