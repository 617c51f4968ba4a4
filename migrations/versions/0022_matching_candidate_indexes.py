"""Matching candidates: who helps with or writes a genre, by genre

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('offer_genres', schema=None) as batch_op:
        batch_op.create_index('ix_offer_genres_genre_user', ['genre_id', 'user_id'], unique=False)
    with op.batch_alter_table('profile_genres', schema=None) as batch_op:
        batch_op.create_index(
            'ix_profile_genres_genre_profile', ['genre_id', 'profile_id'], unique=False
        )


def downgrade():
    with op.batch_alter_table('profile_genres', schema=None) as batch_op:
        batch_op.drop_index('ix_profile_genres_genre_profile')
    with op.batch_alter_table('offer_genres', schema=None) as batch_op:
        batch_op.drop_index('ix_offer_genres_genre_user')
