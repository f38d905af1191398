"""`plaudit serve` picks its concurrency from the database when not told."""

from __future__ import annotations

from plaudit.gunicorn_server import default_concurrency


def test_sqlite_is_served_by_at_most_two_processes_as_writes_are_serialised():
    assert default_concurrency(sqlite=True, cpus=8) == (2, 8)
    assert default_concurrency(sqlite=True, cpus=1) == (1, 8)


def test_postgresql_is_served_by_a_process_per_core_and_at_least_two():
    assert default_concurrency(sqlite=False, cpus=4) == (4, 8)
    assert default_concurrency(sqlite=False, cpus=1) == (2, 8)
