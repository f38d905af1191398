"""Recognition tallies: per person, unit of time and value, kept with the writes.

The upgrade creates the tables only; the tallies of the recognitions already given are built by
`plaudit db upgrade` after the migration (or `plaudit ledger rebuild-tallies`), in batches that each
commit with their progress, so a build that stops resumes where it stopped and the service keeps
serving meanwhile (reads use the history until the build has finished).

Revision ID: 0920
Revises: 0910
"""

import sqlalchemy as sa
from alembic import op

from storage.schema.types import BigId, UTCDateTime

# As in storage/schema/tallies.py when this revision was written (a migration never changes).
TOP_ROWS = "role = 'received' AND grain IN ('week', 'month', 'quarter', 'year', 'all')"
TALLIES_FILLFACTOR = 70

revision = "0920"
down_revision = "0910"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recognition_tallies",
        sa.Column("grain", sa.String(8), primary_key=True),
        sa.Column("starts", sa.Date(), primary_key=True),
        sa.Column("role", sa.String(8), primary_key=True),
        sa.Column("value", sa.String(64), primary_key=True),
        sa.Column("employee_id", sa.String(36), primary_key=True),
        sa.Column("recognitions", sa.Integer(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sqlite_with_rowid=False,
        postgresql_with={"fillfactor": TALLIES_FILLFACTOR},
    )
    op.create_index(
        "ix_tallies_top",
        "recognition_tallies",
        ["grain", "starts", "value", "points", "employee_id"],
        sqlite_where=sa.text(TOP_ROWS),
        postgresql_where=sa.text(TOP_ROWS),
    )
    op.create_table(
        "tally_builds",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("target_id", BigId, nullable=False),
        sa.Column("through_id", BigId, nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("finished_at", UTCDateTime, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("tally_builds")
    op.drop_index("ix_tallies_top", table_name="recognition_tallies")
    op.drop_table("recognition_tallies")
