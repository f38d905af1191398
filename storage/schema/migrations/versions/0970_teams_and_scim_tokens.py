"""Teams (SCIM Groups) with their members, and the identity providers' SCIM bearer tokens.

Three new tables, nothing existing changes. A token is kept only as the SHA-256 digest of its
value; a team's name is an identity provider's group name (not personal data), kept plain.

Revision ID: 0970
Revises: 0960
"""

import sqlalchemy as sa
from alembic import op

from storage.schema.types import BigId, UTCDateTime

revision = "0970"
down_revision = "0960"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "teams",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("display_name_folded", sa.String(600), nullable=False),
        sa.Column("external_id", sa.String(200), nullable=True, unique=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_teams_created_at", "teams", ["created_at"])
    op.create_table(
        "team_members",
        sa.Column("team_id", sa.String(36), sa.ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("employee_id", sa.String(36), sa.ForeignKey("employees.id"), primary_key=True),
    )
    op.create_index("ix_team_members_employee", "team_members", ["employee_id"])
    op.create_table(
        "scim_tokens",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("provider", sa.String(200), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("scim_tokens")
    op.drop_index("ix_team_members_employee", table_name="team_members")
    op.drop_table("team_members")
    op.drop_index("ix_teams_created_at", table_name="teams")
    op.drop_table("teams")
