"""Join the API, scheduler and Slack heads; count scheduled job runs.

Revision ID: 0500
Revises: 0100, 0200, 0300
"""

import sqlalchemy as sa
from alembic import op

revision = "0500"
down_revision = ("0100", "0200", "0300")
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduler_job_runs",
        sa.Column("job", sa.String(length=40), nullable=False),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("job"),
    )


def downgrade() -> None:
    op.drop_table("scheduler_job_runs")
