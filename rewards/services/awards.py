"""Awards: points issued by the organisation (HR, milestones) straight into wallets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from rewards import errors
from rewards.clock import Clock
from rewards.model import AccountKind, Employee, LedgerTransaction, Posting
from rewards.policy import RecognitionPolicy
from rewards.ports import UnitOfWork
from rewards.recognition_rules import check_value
from rewards.services import lookups
from rewards.services.idempotency import fingerprint, run_once

MAX_AWARD_POINTS = 1_000_000


class UnknownHrIds(errors.DomainError):
    """Some HR ids name no employee; `indexes` says which (positions in `external_ids`)."""

    code = "unknown_employee"
    status = 422

    def __init__(self, message: str, indexes: list[int]) -> None:
        super().__init__(message)
        self.indexes = indexes


@dataclass(frozen=True)
class IssueAward:
    """Award `points` to each recipient, named by employee id or by HR id (`external_ids`)."""

    employee_ids: list[str]
    points: int
    reason: str
    idempotency_key: str
    value: str | None = None
    notify: bool = True
    actor: str | None = None  # API client id, "scheduler", ...
    kind: str = "award"  # "award" or "milestone"
    extra: dict[str, Any] | None = None  # event details, e.g. the milestone rule
    external_ids: list[str] = field(default_factory=list)  # HR ids, resolved in the award's transaction


def award_digest(cmd: IssueAward) -> str:
    """The fingerprint kept with the award's key: a repeat of the key must match it."""
    fields: dict[str, Any] = {
        "employees": sorted(cmd.employee_ids),
        "points": cmd.points,
        "reason": cmd.reason,
        "value": cmd.value,
        "kind": cmd.kind,
    }
    if cmd.external_ids:
        # The answer to a repeat names the HR ids in the order given and honours `notify`, so
        # both belong to what a repeat must match. Awards by employee id keep the fingerprint
        # that milestone sweeps compute for the same key.
        fields.update(hr_ids=cmd.external_ids, notify=cmd.notify)
    return fingerprint(**fields)


def issue_award(
    uow: UnitOfWork,
    cmd: IssueAward,
    clock: Clock,
    *,
    on_replay: Callable[[], None] | None = None,
    policy: RecognitionPolicy | None = None,
) -> LedgerTransaction:
    """Issue `points` to each employee from the issuance account, once per key.

    A value must be one of the organisation's (`policy.values`), checked as a Slack give checks it.
    A repeat of the key returns the first transaction (after calling `on_replay`, if given).
    """
    policy = policy or RecognitionPolicy()
    cmd = replace(cmd, value=policy.normalise_value(cmd.value))
    digest = award_digest(cmd)

    def perform() -> LedgerTransaction:
        # Checked inside `run_once`: a request refused here whose key already has an award
        # gets that award (or the key's conflict), not a refusal of its own.
        _validate(cmd)
        check_value(cmd.value, policy)
        return post_award(uow, cmd, clock, digest)

    def replay(txn: LedgerTransaction) -> LedgerTransaction:
        if on_replay is not None:
            on_replay()
        return txn

    return run_once(uow, cmd.idempotency_key, digest, perform, replay, always_posts=True)


def post_award(uow: UnitOfWork, cmd: IssueAward, clock: Clock, digest: str) -> LedgerTransaction:
    """The award's writes inside an open unit of work (batch callers share one transaction)."""
    employees = _recipients(uow, cmd)
    for employee in employees:
        if not employee.is_active:
            raise errors.InactiveEmployee(
                "Inactive employees cannot receive awards.", employee_id=employee.id
            )
    issuance = uow.ledger.account_id(None, AccountKind.ISSUANCE)
    wallets = [uow.ledger.account_id(e.id, AccountKind.WALLET) for e in employees]
    total = cmd.points * len(employees)
    txn = uow.ledger.post(
        cmd.kind,
        cmd.idempotency_key,
        [Posting(issuance, -total), *(Posting(w, cmd.points) for w in wallets)],
        at=clock.now(),
        actor=cmd.actor,
        memo=cmd.reason[:200],
        reference=f"{cmd.kind}:{cmd.idempotency_key}"[:200],
        fingerprint=digest,
    )
    topic = "milestone.awarded" if cmd.kind == "milestone" else "award.issued"
    uow.events.publish(
        topic,
        {
            "transaction_id": txn.id,
            "employee_ids": [e.id for e in employees],
            "points": cmd.points,
            "reason": cmd.reason,
            "value": cmd.value,
            "notify": cmd.notify,
            **(cmd.extra or {}),
        },
    )
    return txn


def _recipients(uow: UnitOfWork, cmd: IssueAward) -> list[Employee]:
    employees = lookups.employees(uow, cmd.employee_ids, personal=False) if cmd.employee_ids else []
    if not cmd.external_ids:
        return employees
    by_hr_id = uow.employees.get_many_by_external_id(cmd.external_ids, personal=False)
    found = [by_hr_id.get(hr_id) for hr_id in cmd.external_ids]
    unknown = [i for i, employee in enumerate(found) if employee is None]
    if unknown:
        raise UnknownHrIds("Some HR ids are not known to Plaudit; nothing was awarded.", unknown)
    named = employees + [e for e in found if e is not None]
    if len({e.id for e in named}) != len(named):
        raise errors.NoRecipients("Each employee may be named only once per award.")
    return named


def _validate(cmd: IssueAward) -> None:
    if not cmd.employee_ids and not cmd.external_ids:
        raise errors.NoRecipients("Name at least one employee to award.")
    for ids in (cmd.employee_ids, cmd.external_ids):
        if len(set(ids)) != len(ids):
            raise errors.NoRecipients("Each employee may be named only once per award.")
    points = cmd.points
    if isinstance(points, bool) or not isinstance(points, int) or not 1 <= points <= MAX_AWARD_POINTS:
        raise errors.InvalidPoints(f"Award points must be a whole number from 1 to {MAX_AWARD_POINTS}.")
    if not cmd.reason or not cmd.reason.strip():
        raise errors.ReasonRequired("An award needs a reason.")
