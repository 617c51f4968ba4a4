"""Thanks back: the helper's one short thank-you note to the requester once a
match has ended (not a thank-you for help, not an act of help)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'match_thanks_back',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('match_id', sa.Integer(), nullable=False),
        sa.Column('helper_id', sa.Integer(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['match_id'], ['matches.id'], name=op.f('fk_match_thanks_back_match_id_matches'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['helper_id'], ['users.id'], name=op.f('fk_match_thanks_back_helper_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_match_thanks_back')),
        sa.UniqueConstraint('match_id', name=op.f('uq_match_thanks_back_match_id')),
    )


def downgrade():
    op.drop_table('match_thanks_back')
