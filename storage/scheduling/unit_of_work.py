"""The unit of work the scheduled use cases get: the base one plus rules, sweep reads and marks."""

from __future__ import annotations

from storage.database.unit_of_work import SqlUnitOfWork
from storage.scheduling.marks import SqlDigestQueries, SqlMarks
from storage.scheduling.milestone_awards import BulkEventPublisher, SqlMilestoneAwards
from storage.scheduling.milestone_rules import SqlMilestoneData, SqlMilestoneRuleRepository
from storage.store import Store


class SqlSchedulerUnitOfWork(SqlUnitOfWork):
    """The base unit of work plus milestone rules, sweep reads, marks and bulk awards."""

    events: BulkEventPublisher

    def __enter__(self) -> SqlSchedulerUnitOfWork:
        super().__enter__()
        self.milestone_rules = SqlMilestoneRuleRepository(self.session)
        self.milestone_data = SqlMilestoneData(self.session, self.cipher)
        self.marks = SqlMarks(self.session)
        self.digest = SqlDigestQueries(self.session)
        self.milestone_awards = SqlMilestoneAwards(self.session, self.ledger)
        self.events = BulkEventPublisher(self.session, self.clock)
        return self


def scheduler_uow(store: Store) -> SqlSchedulerUnitOfWork:
    """A writing unit of work with the scheduler's repositories."""
    return SqlSchedulerUnitOfWork(store.engine, store.cipher, store.blind_index, store.clock, store.directory)


def scheduler_reader(store: Store) -> SqlSchedulerUnitOfWork:
    """A read-only one (no write lock on SQLite), for the sweeps' scans."""
    reader = store.reader()
    return SqlSchedulerUnitOfWork(
        reader.engine, store.cipher, store.blind_index, store.clock, store.directory
    )
