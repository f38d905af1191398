"""Index recognitions by (giver, time): the daily cap becomes a range scan of today's gives.

It replaces the index on the giver alone, which it covers. Without it the cap's query walked
the recipient's whole history, so a give slowed down as people received more kudos.
On PostgreSQL the build blocks writes to recognitions while it runs (seconds per million rows);
with a very large table, create it first by hand with CREATE INDEX CONCURRENTLY under this name.

Revision ID: 0800
Revises: 0700
"""

from alembic import op

revision = "0800"
down_revision = "0700"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("recognitions") as batch_op:
        batch_op.create_index("ix_recognitions_giver_created", ["giver_id", "created_at"],
                              if_not_exists=True)  # an operator may have built it beforehand
        batch_op.drop_index("ix_recognitions_giver_id")


def downgrade() -> None:
    with op.batch_alter_table("recognitions") as batch_op:
        batch_op.create_index("ix_recognitions_giver_id", ["giver_id"])
        batch_op.drop_index("ix_recognitions_giver_created")
