"""Indexes for the reads people wait on, and the delivery totals carried past the outbox purge.

Listings walk ids: transactions by (kind, id), recognitions by (value, id), redemptions by
(state, id) and (employee_id, id); a date filter becomes an id bound read from (created_at, id).
A person's history reads the newest postings of each account from (account_id, transaction_id).
App Home finds taken-back reaction kudos by recognition; /metrics counts failed attempts, and
the purge finds old ones, by (succeeded, attempted_at); a small department's listing starts
from its members. Each composite index replaces the one-column index it covers, so a give
maintains as many indexes on the big tables as before, plus (kind, id) on transactions.

`delivery_totals` carries the delivered messages and failed webhook attempts the purge (and
erasure) delete, so the counts /metrics reports never go down.

The upgrade runs in one transaction with plain CREATE INDEX and DROP INDEX. On PostgreSQL, dropping
a replaced index locks its table against reads and writes until the whole upgrade commits, and
each build takes seconds per million rows: with a large history, plan a quiet window, or build
the new indexes first by hand with CREATE INDEX CONCURRENTLY under these names and columns (the
upgrade skips an index that exists; check `pg_index.indisvalid` first: a failed concurrent
build leaves an invalid index that would be kept).

Revision ID: 0930
Revises: 0920
"""

import sqlalchemy as sa
from alembic import op

revision = "0930"
down_revision = "0920"
branch_labels = None
depends_on = None

# (table, new index, its columns, the one-column index it replaces or None)
INDEXES = [
    ("transactions", "ix_transactions_kind_id", ["kind", "id"], None),
    ("transactions", "ix_transactions_created_id", ["created_at", "id"], "ix_transactions_created_at"),
    ("postings", "ix_postings_account_txn", ["account_id", "transaction_id"], "ix_postings_account_id"),
    ("recognitions", "ix_recognitions_value_id", ["value", "id"], "ix_recognitions_value"),
    ("recognitions", "ix_recognitions_created_id", ["created_at", "id"], "ix_recognitions_created_at"),
    ("redemptions", "ix_redemptions_state_id", ["state", "id"], None),
    ("redemptions", "ix_redemptions_employee_id_id", ["employee_id", "id"], "ix_redemptions_employee_id"),
    ("reaction_kudos", "ix_reaction_kudos_recognition", ["recognition_id"], None),
    ("outbox_attempts", "ix_outbox_attempts_failed", ["succeeded", "attempted_at"], None),
    ("employees", "ix_employees_department", ["department"], None),
]


def upgrade() -> None:
    for table, name, columns, replaced in INDEXES:
        op.create_index(name, table, columns, if_not_exists=True)  # an operator may have built it
        if replaced is not None:
            op.drop_index(replaced, table_name=table)
    op.create_table(
        "delivery_totals",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("delivery_totals")
    for table, name, columns, replaced in reversed(INDEXES):
        if replaced is not None:
            op.create_index(replaced, table, columns[:1])
        op.drop_index(name, table_name=table)
