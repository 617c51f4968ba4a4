"""An index for the moderation queue: open reports in id order

The queue shows the open cases whose first report is oldest; it reads open
reports oldest first until it has a page of cases (community/moderation/
service.py, ``_oldest_open_cases``), instead of grouping every open report.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.create_index('ix_reports_open_id', ['status', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_index('ix_reports_open_id')
