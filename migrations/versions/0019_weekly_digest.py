"""Weekly digest of requests that fit: what each volunteer was sent, and when

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('request_digests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('made_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('request_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['volunteer_id'], ['users.id'], name=op.f('fk_request_digests_volunteer_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_digests')),
    )
    with op.batch_alter_table('request_digests', schema=None) as batch_op:
        batch_op.create_index('ix_request_digests_volunteer_made', ['volunteer_id', 'made_at'], unique=False)

    op.create_table('request_digest_items',
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('digest_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['digest_id'], ['request_digests.id'], name=op.f('fk_request_digest_items_digest_id_request_digests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_id'], ['help_requests.id'], name=op.f('fk_request_digest_items_request_id_help_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['volunteer_id'], ['users.id'], name=op.f('fk_request_digest_items_volunteer_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('volunteer_id', 'request_id', name=op.f('pk_request_digest_items')),
    )
    with op.batch_alter_table('request_digest_items', schema=None) as batch_op:
        batch_op.create_index('ix_request_digest_items_request', ['request_id'], unique=False)


def downgrade():
    with op.batch_alter_table('request_digest_items', schema=None) as batch_op:
        batch_op.drop_index('ix_request_digest_items_request')
    op.drop_table('request_digest_items')
    with op.batch_alter_table('request_digests', schema=None) as batch_op:
        batch_op.drop_index('ix_request_digests_volunteer_made')
    op.drop_table('request_digests')
