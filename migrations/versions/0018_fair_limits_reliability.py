"""Fair limits and a kind reliability signal: answers closed because the
places were filled, and each volunteer's measured figures on their offer

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('filled_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('volunteer_offers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invitations_replied', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('invitations_missed', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('first_messages', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('first_messages_missed', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('first_message_hours', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('helps_thanked', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('helps_not_thanked', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('reliability_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('volunteer_offers', schema=None) as batch_op:
        batch_op.drop_column('reliability_at')
        batch_op.drop_column('helps_not_thanked')
        batch_op.drop_column('helps_thanked')
        batch_op.drop_column('first_message_hours')
        batch_op.drop_column('first_messages_missed')
        batch_op.drop_column('first_messages')
        batch_op.drop_column('invitations_missed')
        batch_op.drop_column('invitations_replied')
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_column('filled_at')
