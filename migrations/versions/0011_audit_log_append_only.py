"""The audit log is append-only in the database too (PostgreSQL)

The model refuses to update or delete an AuditEntry through the session; a
trigger makes PostgreSQL refuse any UPDATE or DELETE of a row however it is
issued (a bulk statement, raw SQL, a console). Rows are only ever inserted.
TRUNCATE (an operator emptying a scratch or test database) is left alone.
SQLite, the development default, has the model's guard only.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION audit_log_refuse_change() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'the audit log is append-only: rows are never changed or deleted'
                USING ERRCODE = 'insufficient_privilege';
        END
        $$ LANGUAGE plpgsql
        """
    )
    op.execute(
        """
        CREATE TRIGGER audit_log_append_only
        BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()
        """
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
    op.execute("DROP FUNCTION audit_log_refuse_change()")
