"""SCIM users: an employee's sign-in name (userName) and directory id (externalId), encrypted and
found by keyed hashes, and when an identity provider deprovisioned them.

The userName's keyed hash is UNIQUE (a SCIM userName names one person); existing employees have
none, so nothing can collide.

Revision ID: 0960
Revises: 0930
"""

import sqlalchemy as sa
from alembic import op

from storage.schema.types import UTCDateTime

revision = "0960"
down_revision = "0930"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("employees") as batch_op:
        batch_op.add_column(sa.Column("user_name_enc", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("user_name_bidx", sa.String(64), nullable=True))
        batch_op.add_column(sa.Column("directory_id_enc", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("directory_id_bidx", sa.String(64), nullable=True))
        batch_op.add_column(sa.Column("deprovisioned_at", UTCDateTime(), nullable=True))
        batch_op.create_index("ix_employees_user_name_bidx", ["user_name_bidx"], unique=True)
        batch_op.create_index("ix_employees_directory_id_bidx", ["directory_id_bidx"])


def downgrade() -> None:
    with op.batch_alter_table("employees") as batch_op:
        batch_op.drop_index("ix_employees_directory_id_bidx")
        batch_op.drop_index("ix_employees_user_name_bidx")
        batch_op.drop_column("deprovisioned_at")
        batch_op.drop_column("directory_id_bidx")
        batch_op.drop_column("directory_id_enc")
        batch_op.drop_column("user_name_bidx")
        batch_op.drop_column("user_name_enc")
