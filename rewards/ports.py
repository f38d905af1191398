"""Ports the domain needs; storage implements them, tests may fake them."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from rewards.model import (
    AccountKind,
    CatalogItem,
    Employee,
    LedgerTransaction,
    Posting,
    Recognition,
    Redemption,
    RedemptionState,
)
from rewards.tallies import TallyKey
from rewards.teams import PersonState, Team, TeamPage, TeamQuery, TeamRef


class DuplicateKey(Exception):
    """Raised by storage when an idempotency key is already committed by someone else."""


class UniqueConflict(Exception):
    """Raised by storage when a concurrent writer committed the same unique value first."""


class EmployeeRepository(Protocol):
    def add(self, employee: Employee) -> None: ...
    def save(self, employee: Employee) -> None: ...
    def get(self, employee_id: str) -> Employee | None: ...
    def get_many(self, employee_ids: Collection[str], *, personal: bool = True) -> dict[str, Employee]:
        """The employees found among these ids, by id, in one query (`personal=False`: without
        decrypting their personal fields, for rules that never read them)."""
        ...

    def get_many_by_external_id(
        self, external_ids: Collection[str], *, personal: bool = True
    ) -> dict[str, Employee]:
        """The employees found among these HR ids, by HR id, in one query."""
        ...

    def get_by_external_id(self, external_id: str) -> Employee | None:
        """Who holds this HR id, or else the erased person who held it."""
        ...

    def get_by_slack_id(self, slack_user_id: str) -> Employee | None: ...
    def closed_chat_account(self, slack_user_id: str) -> bool:
        """Whether this chat user's employee was erased."""
        ...

    def forget_traces(self, employee: Employee) -> None:
        """Erase what other records (redemptions, kudos, outbox, stored responses) hold of them;
        their HR and Slack ids are kept only as keyed hashes."""
        ...

    def get_by_email(self, email: str) -> Employee | None: ...
    def get_by_user_name(self, user_name: str) -> Employee | None:
        """Who has this SCIM userName (compared case-insensitively)."""
        ...

    def get_by_directory_id(self, directory_id: str) -> list[Employee]:
        """Who has this SCIM externalId (compared exactly)."""
        ...

    def directory_ids(self) -> list[str]:
        """Everyone a SCIM listing serves (not erased, not deprovisioned), oldest first."""
        ...

    def directory_fields(self, names: Collection[str]) -> list[Any]:
        """Everyone a SCIM listing serves, oldest first, reading only these fields (personal
        ones decrypted when first read)."""
        ...

    def active_ids(self, employee_ids: Collection[str]) -> set[str]:
        """Which of these employees are active (status active, not erased): one query for many."""
        ...

    def reports_of(self, manager_ids: Collection[str]) -> list[str]:
        """The ids of everyone whose manager is one of these: one query for many."""
        ...


class LedgerRepository(Protocol):
    def account_id(self, owner_id: str | None, kind: AccountKind) -> int: ...
    def account_ids(self, owner_ids: Collection[str], kind: AccountKind) -> dict[str, int]:
        """The `kind` account of each owner, looked up together (for batches)."""
        ...

    def open_accounts(self, owner_id: str) -> None: ...
    def lock(self, account_ids: Iterable[int]) -> dict[int, int]:
        """Lock accounts in id order for the rest of the transaction; return their balances."""
        ...

    def balance(self, account_id: int) -> int: ...
    def find(self, idempotency_key: str) -> LedgerTransaction | None: ...
    def post(
        self,
        kind: str,
        idempotency_key: str,
        postings: Sequence[Posting],
        *,
        at: datetime,
        actor: str | None = None,
        memo: str | None = None,
        reference: str | None = None,
        fingerprint: str | None = None,
    ) -> LedgerTransaction:
        """Write a balanced transaction; raise InsufficientPoints if an employee account would go negative."""
        ...


class RecognitionRepository(Protocol):
    def add(
        self, recognition: Recognition, tallies: Mapping[TallyKey, tuple[int, int]] | None = None
    ) -> Recognition:
        """Add a recognition and its recipients, and (given) add its rows to the tallies, in the
        unit's transaction: one round trip where the store can."""
        ...

    def get(self, recognition_id: int) -> Recognition | None: ...
    def points_between(self, giver_id: str, recipient_id: str, since: datetime) -> int: ...
    def points_to_each(
        self, giver_id: str, recipient_ids: Collection[str], since: datetime
    ) -> dict[str, int]:
        """Points the giver gave each of these recipients since then (absent: none), in one query."""
        ...


class TallyRepository(Protocol):
    def add(self, rows: Mapping[TallyKey, tuple[int, int]]) -> None:
        """Add (recognitions, points) to each of these tally rows, in the unit's transaction."""
        ...

    def counts(self, recognition_id: int) -> bool:
        """Whether the tallies hold this recognition, so taking it back must subtract it (a
        build still to reach it will leave it out instead); holds off a build until commit."""
        ...


class CatalogRepository(Protocol):
    def add(self, item: CatalogItem) -> CatalogItem: ...
    def get(self, item_id: int, *, for_update: bool = False) -> CatalogItem | None: ...
    def save(self, item: CatalogItem) -> None: ...


class RedemptionRepository(Protocol):
    def add(self, redemption: Redemption) -> Redemption: ...
    def get(self, redemption_id: int, *, for_update: bool = False) -> Redemption | None: ...
    def save(self, redemption: Redemption) -> None: ...
    def in_state(self, state: RedemptionState, before: datetime | None = None) -> list[Redemption]: ...
    def open_of(self, employee_id: str) -> list[Redemption]:
        """The employee's requested or approved (not yet fulfilled) redemptions, locked for update."""
        ...

    def waiting(self, employee_ids: Collection[str] | None, limit: int) -> list[Redemption]:
        """Requested redemptions, oldest first (of these employees, when given), at most `limit`."""
        ...


class TeamRepository(Protocol):
    def lock_people(self, employee_ids: Sequence[str], *, exclusive: bool = False) -> dict[str, PersonState]:
        """Lock these people's rows for the rest of the transaction (shared, or `exclusive` for a
        change of them) and return each one's state, read after the lock."""
        ...

    def add(self, team: Team) -> None:
        """Add the team with its members; UniqueConflict when its external id is taken."""
        ...

    def get(self, team_id: str, *, for_update: bool = False) -> Team | None: ...
    def get_by_external_id(self, external_id: str) -> Team | None: ...
    def save(self, team: Team) -> None:
        """Write the team's fields and make its members exactly `team.member_ids`."""
        ...

    def delete(self, team_id: str) -> bool: ...
    def find(self, query: TeamQuery) -> TeamPage: ...
    def teams_of(self, employee_ids: Collection[str]) -> dict[str, list[TeamRef]]:
        """Each of these employees' teams (absent: none), in one query for many."""
        ...


class EventPublisher(Protocol):
    def publish(self, topic: str, payload: dict[str, Any]) -> None:
        """Record an event in the outbox, delivered after commit by the dispatcher."""
        ...


class UnitOfWork(Protocol):
    # Read-only members: an implementation may hold its own repository classes (a plain
    # attribute in a Protocol would be invariant and demand exactly these port types).
    @property
    def employees(self) -> EmployeeRepository: ...
    @property
    def ledger(self) -> LedgerRepository: ...
    @property
    def recognitions(self) -> RecognitionRepository: ...
    @property
    def tallies(self) -> TallyRepository: ...
    @property
    def catalog(self) -> CatalogRepository: ...
    @property
    def redemptions(self) -> RedemptionRepository: ...
    @property
    def teams(self) -> TeamRepository: ...
    @property
    def events(self) -> EventPublisher: ...

    def rechecked_under_lock(self) -> UnitOfWork:
        """Declared by a use case that re-checks under `ledger.lock` what it read before it:
        the store may then let those reads run before its write lock."""
        ...

    def __enter__(self) -> UnitOfWork: ...
    def __exit__(self, *exc: object) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
