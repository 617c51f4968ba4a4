"""Ripples state per member: a header row, member rows and act blocks instead of one blob

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01

The old blob is not converted: the acts of help are the source of truth,
and the ripples job, finding no state, rebuilds it from them by itself (the
first act recorded after the upgrade, or the daily rebuild, whichever comes
first). Until then the pages show the numbers already stored, which the
upgrade leaves alone. A downgrade likewise drops the state and marks every
act unrecorded, so that the old job adds them all again from an empty state
(came-back events already stored are not told again).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ripple_member_state',
    sa.Column('generation', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('member_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('reach', sa.LargeBinary(), nullable=True),
    sa.Column('acts', sa.LargeBinary(), nullable=True),
    sa.PrimaryKeyConstraint('generation', 'member_id', name=op.f('pk_ripple_member_state'))
    )
    op.create_table('ripple_act_block',
    sa.Column('generation', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('block', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('generation', 'block', name=op.f('pk_ripple_act_block'))
    )
    op.execute('DELETE FROM ripple_state')
    with op.batch_alter_table('ripple_state', schema=None) as batch_op:
        batch_op.drop_column('data')
        batch_op.add_column(sa.Column('generation', sa.Integer(), nullable=False))
        batch_op.add_column(sa.Column('header', sa.LargeBinary(), nullable=False))


def downgrade():
    op.execute('DELETE FROM ripple_state')
    with op.batch_alter_table('ripple_state', schema=None) as batch_op:
        batch_op.drop_column('header')
        batch_op.drop_column('generation')
        batch_op.add_column(sa.Column('data', sa.LargeBinary(), nullable=False))
    op.drop_table('ripple_act_block')
    op.drop_table('ripple_member_state')
    op.execute('UPDATE help_acts SET recorded_at = NULL')
