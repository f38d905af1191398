"""Ports the scheduled use cases need beyond the base unit of work; storage implements them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from rewards.milestones import MilestoneRule
from rewards.ports import UnitOfWork


@dataclass(frozen=True)
class DatedEmployee:
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
    milestone_rules: MilestoneRuleRepository
    milestone_data: MilestoneData
    marks: Marks
    digest: DigestQueries
