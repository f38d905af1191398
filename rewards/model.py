"""Domain records: employees, ledger transactions, recognitions, catalog items, redemptions."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime


class AccountKind(enum.StrEnum):
    ALLOWANCE = "allowance"  # points an employee may give
    WALLET = "wallet"  # points received, spendable
    HELD = "held"  # points reserved by a pending redemption
    ISSUANCE = "issuance"  # system: where new points come from
    REDEEMED = "redeemed"  # system: points spent on rewards
    EXPIRED = "expired"  # system: unused allowance at the end of a period


EMPLOYEE_ACCOUNT_KINDS = (AccountKind.ALLOWANCE, AccountKind.WALLET, AccountKind.HELD)
SYSTEM_ACCOUNT_KINDS = (AccountKind.ISSUANCE, AccountKind.REDEEMED, AccountKind.EXPIRED)


class EmployeeStatus(enum.StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


class Celebration(enum.StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"
    NONE = "none"


@dataclass
class Employee:
    """A person Plaudit knows. Personal fields are plaintext here; storage encrypts them."""

    id: str
    external_id: str | None = None
    slack_user_id: str | None = None
    manager_id: str | None = None
    department: str | None = None
    country: str | None = None
    timezone: str | None = None
    locale: str | None = None
    status: EmployeeStatus = EmployeeStatus.ACTIVE
    is_bot: bool = False
    is_guest: bool = False
    celebration: Celebration = Celebration.PUBLIC
    # Personal data: kept out of repr() so a stray log line or traceback cannot leak it.
    email: str | None = field(default=None, repr=False)
    display_name: str | None = field(default=None, repr=False)
    birth_date: date | None = field(default=None, repr=False)
    hire_date: date | None = field(default=None, repr=False)
    phone: str | None = field(default=None, repr=False)
    postal_address: str | None = field(default=None, repr=False)
    # The sign-in name an identity provider knows them by (SCIM userName), and its own id for them
    # (SCIM externalId): both personal, both found by a blind index.
    user_name: str | None = field(default=None, repr=False)
    directory_id: str | None = field(default=None, repr=False)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    erased_at: datetime | None = None
    # When the identity provider deleted them (SCIM DELETE): deactivated, no longer served over SCIM.
    deprovisioned_at: datetime | None = None

    @property
    def is_active(self) -> bool:
        return self.status == EmployeeStatus.ACTIVE and self.erased_at is None


PERSONAL_FIELDS = (
    "email",
    "display_name",
    "birth_date",
    "hire_date",
    "phone",
    "postal_address",
    "user_name",
    "directory_id",
)


@dataclass(frozen=True)
class Posting:
    account_id: int
    amount: int


@dataclass
class LedgerTransaction:
    id: int
    kind: str
    idempotency_key: str
    actor: str | None
    memo: str | None
    created_at: datetime
    reference: str | None = None  # what the transaction is about, e.g. "redemption:12"
    fingerprint: str | None = None  # digest of the request, to refuse a reused key
    postings: list[Posting] = field(default_factory=list)


@dataclass
class Recognition:
    id: int
    giver_id: str
    recipient_ids: list[str]
    points_each: int
    value: str | None
    reason: str
    source: str
    private: bool
    created_at: datetime

    @property
    def total_points(self) -> int:
        return self.points_each * len(self.recipient_ids)


class ItemKind(enum.StrEnum):
    GIFT_CARD = "gift_card"
    CUSTOM = "custom"
    CHARITY = "charity"
    MERCHANDISE = "merchandise"


@dataclass
class CatalogItem:
    id: int
    name: str
    points_cost: int
    kind: ItemKind = ItemKind.CUSTOM
    description: str = ""
    stock: int | None = None  # None: unlimited
    requires_approval: bool = False
    active: bool = True
    denomination: str | None = None  # for gift cards, e.g. "25 USD"
    created_at: datetime | None = None
    updated_at: datetime | None = None


class RedemptionState(enum.StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    FULFILLED = "fulfilled"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


@dataclass
class Redemption:
    id: int
    employee_id: str
    item_id: int
    points: int
    state: RedemptionState
    needs_approval: bool
    created_at: datetime
    updated_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_reason: str | None = None
    fulfilment: str | None = field(default=None, repr=False)  # code/link; stored encrypted
    fulfilled_at: datetime | None = None
    reminded_at: datetime | None = None
    escalated_at: datetime | None = None
