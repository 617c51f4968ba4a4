"""First contact: when each member first wrote in a conversation, and the due
times of the "say hello" reminders of a new match

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01

Existing conversations get ``first_wrote_at`` from their messages. Existing
matches get no reminder (their due times stay empty): a reminder is for a
match made from now on, not a burst on the day this ships.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('conversation_members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_wrote_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('helper_reminder_due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('requester_reminder_due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_matches_helper_reminder_due', ['helper_reminder_due_at'], unique=False)
        batch_op.create_index('ix_matches_requester_reminder_due', ['requester_reminder_due_at'], unique=False)

    op.execute(
        "UPDATE conversation_members SET first_wrote_at = ("
        " SELECT min(messages.created_at) FROM messages"
        " WHERE messages.conversation_id = conversation_members.conversation_id"
        " AND messages.sender_id = conversation_members.user_id)"
    )


def downgrade():
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.drop_index('ix_matches_requester_reminder_due')
        batch_op.drop_index('ix_matches_helper_reminder_due')
        batch_op.drop_column('requester_reminder_due_at')
        batch_op.drop_column('helper_reminder_due_at')

    with op.batch_alter_table('conversation_members', schema=None) as batch_op:
        batch_op.drop_column('first_wrote_at')
