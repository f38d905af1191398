"""Erasure beyond the employee row: what other records hold of a person, removed in the same transaction.

Kept: the ledger's amounts (so it still verifies and reports add up), ids and dates of events.
Removed: reward codes and decision reasons of their redemptions, the text of every kudos they
gave or received (except reaction emoji names), outbox messages that name them, stored API
responses that name them, dated milestone keys, and their team memberships. Their HR id and
Slack id survive only as keyed hashes, so the HR id is not reused and the Slack user is told
their account was closed.
"""

from __future__ import annotations

import json

from sqlalchemy import Connection, delete, or_, select, update

from rewards.model import Employee
from storage.access import idempotency
from storage.delivery import totals
from storage.encryption.ciphers import BlindIndex, FieldCipher
from storage.schema.core import (
    EmployeeRow,
    OutboxRow,
    RecognitionRecipientRow,
    RecognitionRow,
    RedemptionRow,
    TransactionRow,
)
from storage.schema.teams import TeamMemberRow

ERASED_REASON = "(erased)"
ERASED_TOPIC = "employee.erased"


def forget(conn: Connection, cipher: FieldCipher, blind_index: BlindIndex, employee: Employee) -> None:
    """Remove what other records hold of `employee` (read before their row was blanked)."""
    _tombstone(conn, blind_index, employee)
    _redemptions(conn, employee.id)
    _recognitions(conn, employee.id)
    _milestone_keys(conn, employee.id)
    conn.execute(delete(TeamMemberRow).where(TeamMemberRow.employee_id == employee.id))
    needles = [employee.id, *([employee.external_id] if employee.external_id else [])]
    _outbox(conn, needles)
    texts = [json.dumps(n) for n in needles] + [v for v in (employee.email, employee.display_name) if v]
    idempotency.forget_mentioning(conn, cipher, texts)


def _tombstone(conn: Connection, blind_index: BlindIndex, employee: Employee) -> None:
    values: dict[str, str | None] = {"external_id": None, "slack_user_id": None}
    if employee.external_id:
        values["erased_hr_bidx"] = blind_index.identifier("hr", employee.external_id)
    if employee.slack_user_id:
        values["erased_slack_bidx"] = blind_index.identifier("slack", employee.slack_user_id)
    conn.execute(update(EmployeeRow).where(EmployeeRow.id == employee.id).values(**values))


def _redemptions(conn: Connection, employee_id: str) -> None:
    theirs = select(RedemptionRow.id).where(RedemptionRow.employee_id == employee_id)
    ids = list(conn.scalars(theirs))
    conn.execute(
        update(RedemptionRow)
        .where(RedemptionRow.employee_id == employee_id)
        .values(fulfilment_enc=None, decision_reason=None)
    )
    references = [f"redemption:{rid}" for rid in ids]
    for start in range(0, len(references), 500):  # a decision's memo is its reason
        conn.execute(
            update(TransactionRow)
            .where(
                TransactionRow.reference.in_(references[start : start + 500]),
                TransactionRow.kind != "redemption.request",
            )
            .values(memo=None)
        )


def _recognitions(conn: Connection, employee_id: str) -> None:
    received = select(RecognitionRecipientRow.recognition_id).where(
        RecognitionRecipientRow.employee_id == employee_id
    )
    conn.execute(
        update(RecognitionRow)
        .where(
            or_(RecognitionRow.giver_id == employee_id, RecognitionRow.id.in_(received)),
            RecognitionRow.source != "reaction",
        )
        .values(reason=ERASED_REASON)
    )


def _milestone_keys(conn: Connection, employee_id: str) -> None:
    """A milestone's key ends with its date (a birthday, say): keep the key unique, drop the date."""
    prefix = f"milestone:{employee_id}:"
    rows = conn.execute(
        select(TransactionRow.id, TransactionRow.idempotency_key).where(
            TransactionRow.idempotency_key.startswith(prefix, autoescape=True)
        )
    ).all()
    for txn_id, key in rows:
        rule = key[len(prefix) :].split(":", 1)[0]
        conn.execute(
            update(TransactionRow)
            .where(TransactionRow.id == txn_id)
            .values(idempotency_key=f"{prefix}{rule}:erased-{txn_id}")
        )


def _outbox(conn: Connection, needles: list[str]) -> None:
    """Messages that name the person are dropped, delivered or not: none is sent about them.

    Except `employee.erased`, which subscribers need to erase their copy (a repeated erasure
    must not drop it); housekeeping strips its HR id once delivered. The scan covers what
    housekeeping keeps: pending and dead messages, and those delivered within its window.
    """
    mentions = or_(*(OutboxRow.payload.contains(json.dumps(n), autoescape=True) for n in needles))
    ids = list(conn.scalars(select(OutboxRow.id).where(mentions, OutboxRow.topic != ERASED_TOPIC)))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        totals.forget_messages(conn, chunk)  # what /metrics counted stays counted
