"""Pledge nudges: when the week-later reminder of an open pledge was sent

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('pledges', schema=None) as batch_op:
        batch_op.add_column(sa.Column('nudged_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_pledges_nudge_due', ['kept_at', 'nudged_at', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('pledges', schema=None) as batch_op:
        batch_op.drop_index('ix_pledges_nudge_due')
        batch_op.drop_column('nudged_at')
