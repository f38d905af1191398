"""Recognition tallies without ix_tallies_top, and without the rows nobody reads: a give writes fewer pages.

ix_tallies_top held each row's points, so every give moved its entries (and on PostgreSQL no
update of a tally could be "HOT"); the leaderboard now reads a window's range of the primary key
and sorts it. The `given` rows of `all` per value are read by nothing and no longer written: they
are deleted here. The tallies stay built: no rebuild is needed.

Revision ID: 0940
Revises: 0970
"""

import sqlalchemy as sa
from alembic import op

# As in storage/schema/tallies.py before this revision (a migration never changes).
TOP_ROWS = "role = 'received' AND grain IN ('week', 'month', 'quarter', 'year', 'all')"
UNREAD_ROWS = "role = 'given' AND grain = 'all' AND value <> ''"

revision = "0940"
down_revision = "0970"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_tallies_top", table_name="recognition_tallies")
    op.execute(f"DELETE FROM recognition_tallies WHERE {UNREAD_ROWS}")


def downgrade() -> None:
    op.create_index(
        "ix_tallies_top",
        "recognition_tallies",
        ["grain", "starts", "value", "points", "employee_id"],
        sqlite_where=sa.text(TOP_ROWS),
        postgresql_where=sa.text(TOP_ROWS),
    )
    # Older code keeps the rows deleted above: clear the mark, so the next start builds them again.
    op.execute("DELETE FROM tally_builds")
