"""The database tables, as SQLAlchemy 2 typed models."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.schema.types import BigId, UTCDateTime


class Base(DeclarativeBase):
    if TYPE_CHECKING:
        # Every model here maps a Table (SQLAlchemy types `__table__` as any FromClause).
        __table__: ClassVar[Table]


class EmployeeRow(Base):
    __tablename__ = "employees"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    slack_user_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    manager_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # Indexed: a listing filtered by a small department starts from its members.
    department: Mapped[str | None] = mapped_column(String(200), index=True)
    country: Mapped[str | None] = mapped_column(String(2))
    timezone: Mapped[str | None] = mapped_column(String(64))
    locale: Mapped[str | None] = mapped_column(String(35))
    status: Mapped[str] = mapped_column(String(16), default="active")
    is_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    is_guest: Mapped[bool] = mapped_column(Boolean, default=False)
    celebration: Mapped[str] = mapped_column(String(16), default="public")
    # Personal data: ciphertexts only (storage.encryption.ciphers), bound to this row.
    email_enc: Mapped[str | None] = mapped_column(Text)
    email_bidx: Mapped[str | None] = mapped_column(String(64), index=True, unique=True)
    display_name_enc: Mapped[str | None] = mapped_column(Text)
    birth_date_enc: Mapped[str | None] = mapped_column(Text)
    hire_date_enc: Mapped[str | None] = mapped_column(Text)
    phone_enc: Mapped[str | None] = mapped_column(Text)
    postal_address_enc: Mapped[str | None] = mapped_column(Text)
    # SCIM userName (unique, compared case-insensitively) and externalId, found by keyed hashes.
    user_name_enc: Mapped[str | None] = mapped_column(Text)
    user_name_bidx: Mapped[str | None] = mapped_column(String(64), index=True, unique=True)
    directory_id_enc: Mapped[str | None] = mapped_column(Text)
    directory_id_bidx: Mapped[str | None] = mapped_column(String(64), index=True)
    deprovisioned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set at erasure only: keyed hashes of the HR id and Slack id the person held, nothing else.
    erased_hr_bidx: Mapped[str | None] = mapped_column(String(64), index=True)
    erased_slack_bidx: Mapped[str | None] = mapped_column(String(64), index=True)


ENCRYPTED_COLUMNS: dict[str, tuple[str, ...]] = {
    "employees": (
        "email_enc",
        "display_name_enc",
        "birth_date_enc",
        "hire_date_enc",
        "phone_enc",
        "postal_address_enc",
        "user_name_enc",
        "directory_id_enc",
    ),
    "redemptions": ("fulfilment_enc",),
    "webhook_subscriptions": ("secret_enc",),
    "api_idempotency": ("response_body",),  # a replayed response may hold a code or a secret
}


class AccountRow(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)  # "system:issuance", "<emp>:wallet"
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("employees.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    # Cached for employee accounts only; `plaudit ledger verify` proves it equals the postings.
    balance: Mapped[int] = mapped_column(BigInteger, default=0)


class TransactionRow(Base):
    __tablename__ = "transactions"
    # Listings walk ids: by kind from (kind, id); a date becomes an id bound read from (created_at, id).
    __table_args__ = (
        Index("ix_transactions_kind_id", "kind", "id"),
        Index("ix_transactions_created_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    reference: Mapped[str | None] = mapped_column(String(200), index=True)
    actor: Mapped[str | None] = mapped_column(String(200))
    memo: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PostingRow(Base):
    __tablename__ = "postings"
    # A person's latest movements: the newest N postings of each of their accounts.
    __table_args__ = (Index("ix_postings_account_txn", "account_id", "transaction_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("transactions.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)


class RecognitionRow(Base):
    __tablename__ = "recognitions"
    # The daily cap reads one giver's gives since local midnight: a range scan of this index.
    # Listings walk ids: by value from (value, id); a date becomes an id bound read from (created_at, id).
    __table_args__ = (
        Index("ix_recognitions_giver_created", "giver_id", "created_at"),
        Index("ix_recognitions_value_id", "value", "id"),
        Index("ix_recognitions_created_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    giver_id: Mapped[str] = mapped_column(ForeignKey("employees.id"))
    points_each: Mapped[int] = mapped_column(Integer)
    value: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(32))
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RecognitionRecipientRow(Base):
    __tablename__ = "recognition_recipients"
    __table_args__ = (Index("ix_recipient_employee", "employee_id", "recognition_id"),)

    recognition_id: Mapped[int] = mapped_column(ForeignKey("recognitions.id"), primary_key=True)
    employee_id: Mapped[str] = mapped_column(ForeignKey("employees.id"), primary_key=True)


class CatalogItemRow(Base):
    __tablename__ = "catalog_items"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(20))
    points_cost: Mapped[int] = mapped_column(Integer)
    stock: Mapped[int | None] = mapped_column(Integer)
    requires_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    denomination: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RedemptionRow(Base):
    __tablename__ = "redemptions"
    # The listing walks ids for one state or one person.
    __table_args__ = (
        Index("ix_redemptions_state_created", "state", "created_at"),
        Index("ix_redemptions_state_id", "state", "id"),
        Index("ix_redemptions_employee_id_id", "employee_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    employee_id: Mapped[str] = mapped_column(ForeignKey("employees.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("catalog_items.id"))
    points: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    needs_approval: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    fulfilment_enc: Mapped[str | None] = mapped_column(Text)
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookSubscriptionRow(Base):
    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[str] = mapped_column(Text)  # JSON list of topics; ["*"] for all
    secret_enc: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OutboxRow(Base):
    """One message to deliver after commit: to Slack, or to one webhook subscription."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "available_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))  # "slack" | "webhook"
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("webhook_subscriptions.id"))
    topic: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[str] = mapped_column(Text)  # JSON, ids only: no personal data
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|delivered|dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Parts already sent of a message that takes several calls (a DM to each recipient, say),
    # so a retry resumes where it failed instead of sending the first parts twice.
    progress: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class OutboxAttemptRow(Base):
    """One delivery attempt of an outbox message: the delivery log."""

    __tablename__ = "outbox_attempts"
    # Failed attempts by time: /metrics counts those kept, the purge finds those past the retention.
    __table_args__ = (Index("ix_outbox_attempts_failed", "succeeded", "attempted_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    succeeded: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int | None] = mapped_column(Integer)


class DeliveryTotalRow(Base):
    """A delivery count carried past the purge (`delivered`, `webhook_failures`): the purge adds
    what it deletes in the same transaction, so /metrics reports carried + remaining and never
    goes backwards. Only the purge writes it."""

    __tablename__ = "delivery_totals"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
