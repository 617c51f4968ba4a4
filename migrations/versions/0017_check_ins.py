"""Check-ins and closure: the due time and count of a match's "how is it
going?", its open check-in, whether it stalled, the helper's "I finished my
part", and each member's private sentence about how a match went

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01

Existing active matches get their first check-in a week from the day this
ships (not a burst of check-ins for every quiet match at once).
"""
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('check_in_due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('check_ins_sent', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('check_in_open_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('stalled', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('helper_done_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_matches_check_in_due', ['check_in_due_at'], unique=False)

    matches = sa.table(
        'matches',
        sa.column('status', sa.String),
        sa.column('check_in_due_at', sa.DateTime(timezone=True)),
    )
    first_check_in = datetime.now(UTC) + timedelta(days=7)
    op.execute(
        matches.update()
        .where(matches.c.status == 'active')
        .values(check_in_due_at=first_check_in)
    )

    op.create_table(
        'match_closures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('match_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['match_id'], ['matches.id'], name=op.f('fk_match_closures_match_id_matches'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_match_closures_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_match_closures')),
        sa.UniqueConstraint('match_id', 'user_id', name=op.f('uq_match_closures_match_id_user_id')),
    )
    with op.batch_alter_table('match_closures', schema=None) as batch_op:
        batch_op.create_index('ix_match_closures_user', ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('match_closures', schema=None) as batch_op:
        batch_op.drop_index('ix_match_closures_user')
    op.drop_table('match_closures')

    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.drop_index('ix_matches_check_in_due')
        batch_op.drop_column('helper_done_at')
        batch_op.drop_column('stalled')
        batch_op.drop_column('check_in_open_at')
        batch_op.drop_column('check_ins_sent')
        batch_op.drop_column('check_in_due_at')
