"""The /metrics figures are read in one snapshot: a purge committed while a scrape reads them
changes nothing (carried totals and kept rows are never both or neither counted)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import event, insert, select

from storage.delivery import totals
from storage.reads.operations import delivery_figures, program_figures
from storage.schema.core import OutboxAttemptRow, OutboxRow

OLD = datetime(2020, 1, 1, tzinfo=UTC)


def _delivered_webhooks(store, failed_each: list[int]) -> list[int]:
    """Delivered webhook messages, each with this many failed attempts and one success."""
    ids = []
    with store.engine.begin() as conn:
        for failed in failed_each:
            message_id = conn.scalar(
                insert(OutboxRow)
                .values(
                    channel="webhook",
                    topic="award.issued",
                    event_id="e",
                    payload="{}",
                    status="delivered",
                    attempts=failed + 1,
                    progress=0,
                    available_at=OLD,
                    created_at=OLD,
                )
                .returning(OutboxRow.id)
            )
            for succeeded in [False] * failed + [True]:
                conn.execute(
                    insert(OutboxAttemptRow).values(
                        outbox_id=message_id, attempted_at=OLD, succeeded=succeeded
                    )
                )
            ids.append(int(message_id))
    return ids


@contextmanager
def _purge_while_reading(store, ids: list[int], when: str) -> Iterator[list[str]]:
    """Purge `ids` in another transaction, committed just `when` ("before"/"after") the read's
    statement of the carried totals runs; yields the statements the read ran."""
    seen: list[str] = []
    done: list[bool] = []

    def purge() -> None:
        done.append(True)
        with store.engine.begin() as other:
            totals.forget_messages(other, ids)

    def before(_conn, _cursor, statement, _params, _context, _many) -> None:
        if not done:
            seen.append(statement)
            if when == "before" and "delivery_totals" in statement:
                purge()

    def after(_conn, _cursor, statement, _params, _context, _many) -> None:
        if not done and when == "after" and "delivery_totals" in statement:
            purge()

    event.listen(store.engine, "before_cursor_execute", before)
    event.listen(store.engine, "after_cursor_execute", after)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", before)
        event.remove(store.engine, "after_cursor_execute", after)
    assert done, "the read never reached the carried totals"


def _kept_messages(store) -> int:
    with store.engine.connect() as conn:
        return len(conn.execute(select(OutboxRow.id)).all())


def test_delivered_messages_read_in_one_snapshot_while_the_purge_commits(store):
    ids = _delivered_webhooks(store, [1, 0, 2])
    assert program_figures(store).outbox_by_status == {"delivered": (3, None)}
    # Carried totals read, then the purge commits, then the kept rows are counted.
    with _purge_while_reading(store, ids, "after"):
        during = program_figures(store)
    assert _kept_messages(store) == 0
    assert during.outbox_by_status == {"delivered": (3, None)}
    assert program_figures(store).outbox_by_status == {"delivered": (3, None)}


def test_failed_webhook_attempts_read_in_one_snapshot_while_the_purge_commits(store):
    ids = _delivered_webhooks(store, [1, 0, 2])
    assert delivery_figures(store).webhook_failures == 3
    # Kept attempts counted, then the purge commits, then the carried total is read.
    with _purge_while_reading(store, ids, "before"):
        during = delivery_figures(store)
    assert _kept_messages(store) == 0
    assert during.webhook_failures == 3
    assert delivery_figures(store).webhook_failures == 3
