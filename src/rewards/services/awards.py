"""Awards: points issued by the organisation (HR, milestones) straight into wallets."""

from __future__ import annotations

from dataclasses import dataclass

from rewards import errors
from rewards.clock import Clock
from rewards.model import AccountKind, LedgerTransaction, Posting
from rewards.ports import UnitOfWork
from rewards.services import lookups
from rewards.services.idempotency import fingerprint, run_once

MAX_AWARD_POINTS = 1_000_000


@dataclass(frozen=True)
class IssueAward:
    employee_ids: list[str]
    points: int
    reason: str
    idempotency_key: str
    value: str | None = None
    notify: bool = True
    actor: str | None = None  # API client id, "scheduler", ...
    kind: str = "award"  # "award" or "milestone"
    extra: dict | None = None  # event details, e.g. the milestone rule


def issue_award(uow: UnitOfWork, cmd: IssueAward, clock: Clock) -> LedgerTransaction:
    """Issue `points` to each employee from the issuance account, once per key."""
    _validate(cmd)
    digest = fingerprint(
        employees=sorted(cmd.employee_ids), points=cmd.points, reason=cmd.reason,
        value=cmd.value, kind=cmd.kind,
    )

    def perform() -> LedgerTransaction:
        return post_award(uow, cmd, clock, digest)

    return run_once(uow, cmd.idempotency_key, digest, perform, lambda txn: txn, always_posts=True)


def post_award(uow: UnitOfWork, cmd: IssueAward, clock: Clock, digest: str) -> LedgerTransaction:
    """The award's writes inside an open unit of work (batch callers share one transaction)."""
    employees = [lookups.employee(uow, eid) for eid in cmd.employee_ids]
    for employee in employees:
        if not employee.is_active:
            raise errors.InactiveEmployee(
                "Inactive employees cannot receive awards.", employee_id=employee.id
            )
    issuance = uow.ledger.account_id(None, AccountKind.ISSUANCE)
    wallets = [uow.ledger.account_id(e.id, AccountKind.WALLET) for e in employees]
    total = cmd.points * len(employees)
    txn = uow.ledger.post(
        cmd.kind, cmd.idempotency_key,
        [Posting(issuance, -total), *(Posting(w, cmd.points) for w in wallets)],
        at=clock.now(), actor=cmd.actor, memo=cmd.reason[:200],
        reference=f"{cmd.kind}:{cmd.idempotency_key}"[:200], fingerprint=digest,
    )
    topic = "milestone.awarded" if cmd.kind == "milestone" else "award.issued"
    uow.events.publish(topic, {
        "transaction_id": txn.id, "employee_ids": [e.id for e in employees],
        "points": cmd.points, "reason": cmd.reason, "value": cmd.value,
        "notify": cmd.notify, **(cmd.extra or {}),
    })
    return txn


def _validate(cmd: IssueAward) -> None:
    if not cmd.employee_ids:
        raise errors.NoRecipients("Name at least one employee to award.")
    if len(set(cmd.employee_ids)) != len(cmd.employee_ids):
        raise errors.NoRecipients("Each employee may be named only once per award.")
    points = cmd.points
    if isinstance(points, bool) or not isinstance(points, int) or not 1 <= points <= MAX_AWARD_POINTS:
        raise errors.InvalidPoints(f"Award points must be a whole number from 1 to {MAX_AWARD_POINTS}.")
    if not cmd.reason or not cmd.reason.strip():
        raise errors.ReasonRequired("An award needs a reason.")
