"""Reaction kudos: an emoji on a colleague's message gives points, and removing it soon undoes them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from rewards import errors, tallies
from rewards.clock import Clock
from rewards.model import AccountKind, LedgerTransaction, Posting, Recognition
from rewards.policy import RecognitionPolicy
from rewards.ports import UnitOfWork
from rewards.reactions import ReactionKudos, ReactionLog, check_daily_cap, check_reaction, may_reverse
from rewards.services import lookups
from rewards.services.idempotency import fingerprint, run_once
from rewards.services.recognition import local_day_start

LogOf = Callable[[UnitOfWork], ReactionLog]  # the reaction log inside an open unit of work


@dataclass(frozen=True)
class React:
    giver_id: str
    recipient_id: str
    message_ref: str  # channel, message ts and emoji: which reaction this is
    idempotency_key: str  # from the event id, so a redelivered event counts once
    emoji: str = ""


def give_reaction_kudos(
    uow: UnitOfWork, log_of: LogOf, cmd: React, policy: RecognitionPolicy, clock: Clock
) -> Recognition | None:
    """Give the policy's reaction points to the message's author; None if this reaction already paid."""
    points = policy.reaction_points
    digest = fingerprint(giver=cmd.giver_id, recipient=cmd.recipient_id, ref=cmd.message_ref)

    def perform() -> Recognition | None:
        log = log_of(uow)
        if log.active(cmd.giver_id, cmd.message_ref) is not None:
            return None  # the same reaction, seen again under another event id
        giver = lookups.employee(uow, cmd.giver_id)
        author = lookups.employee(uow, cmd.recipient_id)
        check_reaction(giver, author, policy)
        now = clock.now()
        since = local_day_start(now, giver.timezone, policy.timezone)
        check_daily_cap(log.points_given_since(giver.id, since), points, policy)
        allowance = uow.ledger.account_id(giver.id, AccountKind.ALLOWANCE)
        wallet = uow.ledger.account_id(author.id, AccountKind.WALLET)
        if uow.ledger.lock([allowance, wallet])[allowance] < points:
            raise errors.InsufficientPoints("You have no points left to give this period.")
        given = Recognition(
            id=0,
            giver_id=giver.id,
            recipient_ids=[author.id],
            points_each=points,
            value=None,
            reason=cmd.emoji or "reaction",
            source="reaction",
            private=False,
            created_at=now,
        )
        recognition = uow.recognitions.add(given, tallies.tally_rows(given, policy.timezone))
        uow.ledger.post(
            "recognition",
            cmd.idempotency_key,
            [Posting(allowance, -points), Posting(wallet, points)],
            at=now,
            actor=giver.id,
            memo="reaction recognition",
            reference=f"recognition:{recognition.id}",
            fingerprint=digest,
        )
        log.add(ReactionKudos(0, giver.id, author.id, cmd.message_ref, recognition.id, points, now))
        uow.events.publish(
            "recognition.created",
            {
                "recognition_id": recognition.id,
                "giver_id": giver.id,
                "recipient_ids": [author.id],
                "points_each": points,
                "total_points": points,
                "value": None,
                "reason": recognition.reason,
                "source": "reaction",
                "private": False,
                "context": {},
            },
        )
        return recognition

    def replay(txn: LedgerTransaction) -> Recognition | None:
        return uow.recognitions.get(lookups.reference_id(txn.reference, "recognition"))

    return run_once(uow, cmd.idempotency_key, digest, perform, replay)


def reverse_reaction_kudos(
    uow: UnitOfWork,
    log_of: LogOf,
    giver_id: str,
    message_ref: str,
    key: str,
    window: timedelta,
    clock: Clock,
    *,
    timezone: str,
) -> bool:
    """Give back a reaction's points if it is removed within `window`; True if reversed.

    `timezone` is the organisation's (the policy's): the tallies it added are taken back."""
    digest = fingerprint(giver=giver_id, ref=message_ref, action="reverse")

    def perform() -> bool:
        log = log_of(uow)
        reaction = log.active(giver_id, message_ref)
        now = clock.now()
        if reaction is None or not may_reverse(reaction, now, window):
            return False
        allowance = uow.ledger.account_id(giver_id, AccountKind.ALLOWANCE)
        wallet = uow.ledger.account_id(reaction.recipient_id, AccountKind.WALLET)
        uow.ledger.lock([allowance, wallet])
        uow.ledger.post(
            "recognition.reversal",
            key,
            [Posting(wallet, -reaction.points), Posting(allowance, reaction.points)],
            at=now,
            actor=giver_id,
            memo="reaction removed",
            reference=f"recognition:{reaction.recognition_id}",
            fingerprint=digest,
        )
        log.mark_reversed(reaction.id, now)
        if uow.tallies.counts(reaction.recognition_id):
            original = uow.recognitions.get(reaction.recognition_id)
            if original is not None:
                uow.tallies.add(tallies.tally_rows(original, timezone, -1))
        uow.events.publish(
            "recognition.reversed",
            {
                "recognition_id": reaction.recognition_id,
                "giver_id": giver_id,
                "recipient_ids": [reaction.recipient_id],
                "points_each": reaction.points,
            },
        )
        return True

    try:
        return run_once(uow, key, digest, perform, lambda txn: True)
    except errors.InsufficientPoints:
        return False  # the author already spent them: the kudos stands
