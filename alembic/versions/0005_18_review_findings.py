"""Joint review findings on the applicant (§四（一）4, issue 18).

Revision ID: 0005_18_review_findings
Revises: 0004_security
Create Date: 2026-12-02 22:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0005_18_review_findings'
down_revision: str | None = '0004_security'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('applicants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_findings', sa.JSON(), nullable=False,
                                      server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('applicants', schema=None) as batch_op:
        batch_op.drop_column('review_findings')
