"""Erasure keeps no HR id or Slack id, only keyed hashes of them (a tombstone).

`DELETE /api/v1/employees/{id}` now blanks the erased person's HR id and Slack id too; an HMAC of
each (under the blind-index key) stays so that the HR id is not reused and the same Slack user is
told their account was closed instead of being met again. People erased before this upgrade keep
their HR id in clear until they are erased again (a second DELETE finishes the erasure).

Revision ID: 0900
Revises: 0800
"""

import sqlalchemy as sa
from alembic import op

revision = "0900"
down_revision = "0800"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("employees") as batch_op:
        batch_op.add_column(sa.Column("erased_hr_bidx", sa.String(64), nullable=True))
        batch_op.add_column(sa.Column("erased_slack_bidx", sa.String(64), nullable=True))
        batch_op.create_index("ix_employees_erased_hr_bidx", ["erased_hr_bidx"])
        batch_op.create_index("ix_employees_erased_slack_bidx", ["erased_slack_bidx"])


def downgrade() -> None:
    with op.batch_alter_table("employees") as batch_op:
        batch_op.drop_index("ix_employees_erased_slack_bidx")
        batch_op.drop_index("ix_employees_erased_hr_bidx")
        batch_op.drop_column("erased_slack_bidx")
        batch_op.drop_column("erased_hr_bidx")
