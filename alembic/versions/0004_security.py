"""Security: keyed captchas (no stored answers), atomic SMS counters, audit log protection.

- ``captchas.answer`` is dropped: answers are derived with HMAC under the server secret.
- ``sms_counters``: the resend interval and the daily cap as conditional UPDATEs.
- The audit log refuses TRUNCATE (PostgreSQL; row triggers do not fire on it), and its
  head refuses DELETE and any UPDATE that moves it backwards (both backends).

Revision ID: 0004_security
Revises: 0003_rounds
Create Date: 2026-12-02 22:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0004_security'
down_revision: str | None = '0003_rounds'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sms_counters',
    sa.Column('mobile', sa.String(length=11), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('last_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=True),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('mobile', 'purpose', name=op.f('pk_sms_counters'))
    )
    with op.batch_alter_table('captchas', schema=None) as batch_op:
        batch_op.drop_column('answer')
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'the audit log is append-only (%)', TG_OP; END $$"
        )
        for table in ("audit_events", "audit_head"):
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse()")
        op.execute("CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head "
                   "FOR EACH ROW EXECUTE FUNCTION audit_refuse()")
        op.execute("CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_head "
                   "FOR EACH ROW WHEN (NEW.last_seq < OLD.last_seq) EXECUTE FUNCTION audit_refuse()")
    else:
        op.execute("CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head "
                   "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END")
        op.execute("CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_head "
                   "WHEN NEW.last_seq < OLD.last_seq "
                   "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ("audit_events", "audit_head"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP TRIGGER IF EXISTS audit_head_no_delete ON audit_head")
        op.execute("DROP TRIGGER IF EXISTS audit_head_forward_only ON audit_head")
        op.execute("DROP FUNCTION IF EXISTS audit_refuse()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_head_no_delete")
        op.execute("DROP TRIGGER IF EXISTS audit_head_forward_only")
    with op.batch_alter_table('captchas', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answer', sa.VARCHAR(length=8), nullable=False, server_default=''))
    op.drop_table('sms_counters')
