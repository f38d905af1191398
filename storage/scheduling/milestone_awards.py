"""Many milestone awards in one transaction: bulk ledger writes with the same rows and keys
that `issue_award` writes one at a time, and the events fanned out in one insert."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from rewards.ledger import check_balanced
from rewards.model import AccountKind, Posting
from rewards.ports import DuplicateKey
from rewards.scheduler_ports import AwardLine
from storage.database.unit_session import UnitSession
from storage.delivery.outbox import SqlEventPublisher, subscribed
from storage.ledger.repository import SqlLedgerRepository, account_code
from storage.schema.core import (
    AccountRow,
    EmployeeRow,
    OutboxRow,
    PostingRow,
    TransactionRow,
    WebhookSubscriptionRow,
)


class SqlMilestoneAwards:
    def __init__(self, session: UnitSession, ledger: SqlLedgerRepository) -> None:
        self.session = session
        self.ledger = ledger

    def post_many(self, lines: Sequence[AwardLine], at: datetime) -> dict[str, int]:
        """Credit each active employee's wallet from issuance; returns key -> transaction id."""
        wallets = self._active_wallets([line.employee_id for line in lines])
        lines = [line for line in lines if line.employee_id in wallets]
        if not lines:
            return {}
        issuance = self.ledger.account_id(None, AccountKind.ISSUANCE)
        for line in lines:
            check_balanced([Posting(issuance, -line.points), Posting(wallets[line.employee_id], line.points)])
        try:
            ids = (
                self.session.execute(
                    insert(TransactionRow).returning(TransactionRow.id, sort_by_parameter_order=True),
                    [
                        {
                            "kind": "milestone",
                            "idempotency_key": line.key,
                            "fingerprint": line.fingerprint,
                            "reference": f"milestone:{line.key}"[:200],
                            "actor": "scheduler",
                            "memo": line.memo[:200],
                            "created_at": at,
                        }
                        for line in lines
                    ],
                )
                .scalars()
                .all()
            )
        except IntegrityError as exc:
            if "idempotency_key" in str(exc.orig):
                raise DuplicateKey("a milestone key was awarded meanwhile") from None
            raise
        # RETURNING makes SQLAlchemy send multi-row VALUES pages instead of one INSERT per row.
        self.session.execute(
            insert(PostingRow).returning(PostingRow.id),
            [
                row
                for txn_id, line in zip(ids, lines, strict=True)
                for row in (
                    {"transaction_id": txn_id, "account_id": issuance, "amount": -line.points},
                    {
                        "transaction_id": txn_id,
                        "account_id": wallets[line.employee_id],
                        "amount": line.points,
                    },
                )
            ],
        )
        deltas: dict[int, int] = defaultdict(int)
        for line in lines:
            deltas[wallets[line.employee_id]] += line.points
        self.ledger.credit_many(deltas)  # credits only (none goes negative), locked in id order
        return {line.key: txn_id for txn_id, line in zip(ids, lines, strict=True)}

    def _active_wallets(self, employee_ids: list[str]) -> dict[str, int]:
        # By account code (a unique index) first, so the planner walks from 1,000 accounts
        # to their employees instead of scanning every employee.
        codes = [account_code(e, AccountKind.WALLET) for e in employee_ids]
        rows = self.session.execute(
            select(AccountRow.owner_id, AccountRow.id)
            .join(EmployeeRow, EmployeeRow.id == AccountRow.owner_id)
            .where(
                AccountRow.code.in_(codes), EmployeeRow.status == "active", EmployeeRow.erased_at.is_(None)
            )
        ).all()
        return {owner: account for owner, account in rows if owner is not None}


class BulkEventPublisher(SqlEventPublisher):
    """The outbox publisher, plus many events of one topic in a single insert."""

    def publish_many(self, topic: str, payloads: Sequence[dict[str, Any]]) -> None:
        if not payloads:
            return
        now = self.clock.now()
        if self._subscriptions is None:
            self._subscriptions = list(
                self.session.execute(
                    select(WebhookSubscriptionRow.id, WebhookSubscriptionRow.events).where(
                        WebhookSubscriptionRow.active.is_(True)
                    )
                )
            )
        targets = [("slack", None)] + [
            ("webhook", sub_id) for sub_id, events in self._subscriptions or [] if subscribed(events, topic)
        ]
        rows = []
        for payload in payloads:
            event_id = f"evt_{uuid.uuid4().hex}"
            body = json.dumps(
                {"type": topic, "timestamp": now.isoformat(), "data": payload},
                separators=(",", ":"),
                default=str,
            )
            rows += [
                {
                    "channel": channel,
                    "subscription_id": sub_id,
                    "topic": topic,
                    "event_id": event_id,
                    "payload": body,
                    "status": "pending",
                    "attempts": 0,
                    "available_at": now,
                    "created_at": now,
                }
                for channel, sub_id in targets
            ]
        self.session.execute(insert(OutboxRow).returning(OutboxRow.id), rows)
        self.mark_written()
