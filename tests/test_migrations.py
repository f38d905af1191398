"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from storage.schema import metadata, migrate


def test_migrated_schema_matches_the_models(store):
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        differences = compare_metadata(context, metadata)
    assert differences == []
    assert migrate.pending_revisions(store.engine) == set()


def test_upgrading_twice_is_harmless(store):
    migrate.upgrade(store.engine)
    assert migrate.pending_revisions(store.engine) == set()
