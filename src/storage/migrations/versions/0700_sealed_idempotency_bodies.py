"""Stored API responses are encrypted from now on: forget the ones stored in the clear.

They are a replay cache kept for a day (a reward code or a webhook secret could be in one).
A request retried across this upgrade runs again; for awards and redemptions the ledger's own
idempotency key still makes that retry a replay, not a second effect.

Revision ID: 0700
Revises: 0600
"""

from alembic import op

revision = "0700"
down_revision = "0600"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM api_idempotency")


def downgrade() -> None:
    op.execute("DELETE FROM api_idempotency")  # the older code would read ciphertext as a body
