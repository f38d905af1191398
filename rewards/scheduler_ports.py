"""Ports the scheduled use cases need beyond the base unit of work; storage implements them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple, Protocol

from rewards.milestones import MilestoneRule
from rewards.ports import UnitOfWork


class DatedEmployee(NamedTuple):  # a tuple: a sweep builds one per employee, so it must be cheap
    """What a milestone sweep needs of an active employee: the zone and the anchor dates."""

    id: str
    timezone: str | None
    hire_date: date | None
    birth_date: date | None


@dataclass(frozen=True)
class WeekSummary:
    """A week of recognition, for the digest: counts and ids only."""

    recognitions: int
    points: int
    top_values: list[tuple[str, int]] = field(default_factory=list)
    top_recipient_ids: list[str] = field(default_factory=list)
    milestones: int = 0


@dataclass(frozen=True)
class AwardLine:
    """One milestone award for a bulk write: the same key and fingerprint issue_award would use."""

    key: str
    employee_id: str
    points: int
    memo: str
    fingerprint: str


class MilestoneAwards(Protocol):
    def post_many(self, lines: Sequence[AwardLine], at: datetime) -> dict[str, int]:
        """Credit active employees' wallets from issuance in one go; key -> transaction id.

        Raises DuplicateKey if any key exists (the caller then goes one by one)."""
        ...


class BulkEvents(Protocol):
    def publish(self, topic: str, payload: dict[str, Any]) -> None: ...
    def publish_many(self, topic: str, payloads: Sequence[dict[str, Any]]) -> None: ...


class MilestoneRuleRepository(Protocol):
    def list(self, *, active_only: bool = False) -> list[MilestoneRule]: ...
    def get(self, rule_id: int) -> MilestoneRule | None: ...
    def get_by_code(self, code: str) -> MilestoneRule | None: ...
    def add(self, rule: MilestoneRule) -> MilestoneRule: ...
    def save(self, rule: MilestoneRule) -> None: ...


class MilestoneData(Protocol):
    def dated_employees(self) -> Iterator[DatedEmployee]:
        """Active, non-erased people with their decrypted dates, streamed."""
        ...

    def received_counts(self, at_least: int) -> list[tuple[str, int]]:
        """(active employee id, recognitions received) for those with at least `at_least`."""
        ...

    def missing_keys(self, keys: Iterable[str]) -> set[str]:
        """Which of these idempotency keys have no ledger transaction yet."""
        ...

    def active_employee_ids(self) -> list[str]: ...


class Marks(Protocol):
    def add_once(self, key: str, at: datetime) -> bool:
        """Record that `key` happened; False when it was recorded before."""
        ...


class DigestQueries(Protocol):
    def summary(self, since: datetime, until: datetime) -> WeekSummary: ...


class SchedulerUnitOfWork(UnitOfWork, Protocol):
    @property
    def milestone_rules(self) -> MilestoneRuleRepository: ...
    @property
    def milestone_data(self) -> MilestoneData: ...
    @property
    def marks(self) -> Marks: ...
    @property
    def digest(self) -> DigestQueries: ...
    @property
    def milestone_awards(self) -> MilestoneAwards: ...
    @property
    def events(self) -> BulkEvents: ...
