"""Stored API responses are encrypted from now on: forget the ones stored in the clear.

They are a replay cache kept for a day (a reward code or a webhook secret could be in one).
A request retried across this upgrade is not replayed from here: for awards and redemptions
the ledger's own idempotency key still refuses a second effect (a single award made before the
upgrade answers such a retry with 422 `idempotency_key_reused`, since its ledger entry carries
the older fingerprint); a catalog item or webhook created before it would be created again.

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
