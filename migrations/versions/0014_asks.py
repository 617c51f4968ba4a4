"""Asks: volunteers told about requests that suit them, weekly caps, dated breaks

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('request_asks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('outcome_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['help_requests.id'], name=op.f('fk_request_asks_request_id_help_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['volunteer_id'], ['users.id'], name=op.f('fk_request_asks_volunteer_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_asks')),
    sa.UniqueConstraint('request_id', 'volunteer_id', name=op.f('uq_request_asks_request_id_volunteer_id')),
    )
    with op.batch_alter_table('request_asks', schema=None) as batch_op:
        batch_op.create_index('ix_request_asks_volunteer_asked', ['volunteer_id', 'asked_at'], unique=False)

    with op.batch_alter_table('help_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('asks_round', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('asked_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('volunteer_offers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('break_until', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('asks_per_week', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('volunteer_offers', schema=None) as batch_op:
        batch_op.drop_column('asks_per_week')
        batch_op.drop_column('break_until')

    with op.batch_alter_table('help_requests', schema=None) as batch_op:
        batch_op.drop_column('asked_at')
        batch_op.drop_column('asks_round')

    with op.batch_alter_table('request_asks', schema=None) as batch_op:
        batch_op.drop_index('ix_request_asks_volunteer_asked')

    op.drop_table('request_asks')
