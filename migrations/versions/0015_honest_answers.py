"""Honest answers: invitations and offers with no reply expire by themselves

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01

"""
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

# Answers already waiting get the longer default grace (ANSWER_EXPIRY_DAYS),
# counted from now: nobody's invitation expires on the day this is deployed.
GRACE_DAYS = 5


def upgrade():
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('expired_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_answers_expires_at', ['expires_at'], unique=False)
    answers = sa.table(
        'answers',
        sa.column('status', sa.String),
        sa.column('expires_at', sa.DateTime(timezone=True)),
    )
    op.execute(
        answers.update()
        .where(answers.c.status == 'pending')
        .values(expires_at=datetime.now(UTC) + timedelta(days=GRACE_DAYS))
    )


def downgrade():
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_index('ix_answers_expires_at')
        batch_op.drop_column('expired_at')
        batch_op.drop_column('expires_at')
