"""slack: reaction kudos log

Revision ID: 0300
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa


revision = '0300'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reaction_kudos',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('giver_id', sa.String(length=36), nullable=False),
    sa.Column('recipient_id', sa.String(length=36), nullable=False),
    sa.Column('message_ref', sa.String(length=200), nullable=False),
    sa.Column('recognition_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reversed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['giver_id'], ['employees.id'], ),
    sa.ForeignKeyConstraint(['recipient_id'], ['employees.id'], ),
    sa.ForeignKeyConstraint(['recognition_id'], ['recognitions.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_reaction_kudos_giver_ref', 'reaction_kudos', ['giver_id', 'message_ref'], unique=False)
    op.create_index('ix_reaction_kudos_giver_created', 'reaction_kudos', ['giver_id', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_reaction_kudos_giver_created', table_name='reaction_kudos')
    op.drop_index('ix_reaction_kudos_giver_ref', table_name='reaction_kudos')
    op.drop_table('reaction_kudos')
