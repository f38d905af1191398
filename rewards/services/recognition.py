"""Give recognition: one giver, one or more recipients, paid from the giver's allowance."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo

from rewards import errors, tallies
from rewards.clock import Clock
from rewards.model import AccountKind, Employee, LedgerTransaction, Posting, Recognition
from rewards.policy import RecognitionPolicy
from rewards.ports import UnitOfWork
from rewards.recognition_rules import (
    check_participants,
    check_points,
    check_reason,
    check_value,
)
from rewards.services import lookups
from rewards.services.idempotency import fingerprint, run_once


@dataclass(frozen=True)
class GiveRecognition:
    giver_id: str
    recipient_ids: list[str]
    points: int
    reason: str
    idempotency_key: str
    value: str | None = None
    source: str = "slack"
    private: bool = False
    context: dict[str, str] = field(default_factory=dict)  # e.g. channel, message link


def give_recognition(
    uow: UnitOfWork, cmd: GiveRecognition, policy: RecognitionPolicy, clock: Clock
) -> Recognition:
    """Move points from the giver's allowance to each recipient's wallet, once per key."""
    if cmd.giver_id in cmd.recipient_ids:  # the most basic mistake is named first
        raise errors.SelfRecognition("You cannot give kudos to yourself.")
    points = check_points(cmd.points, policy)
    reason = check_reason(cmd.reason, policy)
    value = check_value(cmd.value, policy)
    digest = fingerprint(
        giver=cmd.giver_id,
        recipients=sorted(cmd.recipient_ids),
        points=points,
        reason=reason,
        value=value,
    )

    def perform() -> Recognition:
        # Read before the accounts are locked, and before the store's write lock: only what is
        # checked after `ledger.lock` is current. A person's status read a moment early is as if
        # the give came a moment earlier.
        giver, *recipients = lookups.employees(uow, [cmd.giver_id, *cmd.recipient_ids], personal=False)
        check_participants(giver, recipients, policy)
        allowance = uow.ledger.account_id(giver.id, AccountKind.ALLOWANCE)
        wallets = [uow.ledger.account_id(r.id, AccountKind.WALLET) for r in recipients]
        balances = uow.ledger.lock([allowance, *wallets])
        now = clock.now()
        total = points * len(recipients)
        if balances[allowance] < total:
            raise errors.InsufficientPoints(
                f"You have {balances[allowance]} points left to give; this needs {total}.",
                available=balances[allowance],
                needed=total,
            )
        _check_daily_cap(uow, giver, recipients, points, policy, now)
        given = Recognition(
            id=0,
            giver_id=giver.id,
            recipient_ids=[r.id for r in recipients],
            points_each=points,
            value=value,
            reason=reason,
            source=cmd.source,
            private=cmd.private,
            created_at=now,
        )
        recognition = uow.recognitions.add(given, tallies.tally_rows(given, policy.timezone))
        postings = [Posting(allowance, -total), *(Posting(w, points) for w in wallets)]
        uow.ledger.post(
            "recognition",
            cmd.idempotency_key,
            postings,
            at=now,
            actor=giver.id,
            memo=f"{cmd.source} recognition",
            reference=f"recognition:{recognition.id}",
            fingerprint=digest,
        )
        uow.events.publish(
            "recognition.created",
            {
                "recognition_id": recognition.id,
                "giver_id": giver.id,
                "recipient_ids": recognition.recipient_ids,
                "points_each": points,
                "total_points": total,
                "value": value,
                "reason": reason,
                "source": cmd.source,
                "private": cmd.private,
                "context": dict(cmd.context),
            },
        )
        return recognition

    def replay(txn: LedgerTransaction) -> Recognition:
        found = uow.recognitions.get(lookups.reference_id(txn.reference, "recognition"))
        assert found is not None
        return found

    # Everything read before `ledger.lock` is re-checked under it (or is as if the give came
    # a moment earlier), so those reads need not wait for the store's write lock.
    return run_once(
        uow.rechecked_under_lock(), cmd.idempotency_key, digest, perform, replay, always_posts=True
    )


def local_day_start(now: datetime, tz_name: str | None, default_tz: str) -> datetime:
    """Midnight of `now`'s local date in the given zone (the organisation's when unknown)."""
    try:
        zone = ZoneInfo(tz_name or default_tz)
    except (KeyError, ValueError):
        zone = ZoneInfo(default_tz)
    local = now.astimezone(zone)
    return datetime.combine(local.date(), time(0), tzinfo=zone)


def _check_daily_cap(
    uow: UnitOfWork,
    giver: Employee,
    recipients: list[Employee],
    points: int,
    policy: RecognitionPolicy,
    now: datetime,
) -> None:
    since = local_day_start(now, giver.timezone, policy.timezone)
    given = uow.recognitions.points_to_each(giver.id, [r.id for r in recipients], since)
    for recipient in recipients:
        already = given.get(recipient.id, 0)
        if already + points > policy.daily_cap_per_recipient:
            left = max(policy.daily_cap_per_recipient - already, 0)
            raise errors.DailyCapExceeded(
                f"You can give one person at most {policy.daily_cap_per_recipient} points a day;"
                f" {left} left for this person today.",
                employee_id=recipient.id,
                left=left,
            )
