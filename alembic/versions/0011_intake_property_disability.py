"""The parent's details state 无房 (whether the family owns a home in Beijing, in the
district; §三（一）1（3）) and a disabled child's requested placement (§四（二）1（4）、2（4）).
Existing rows keep NULL: not stated, the routing record's value stands.

Revision ID: 0011_intake_property_disability
Revises: 0010_draw_trust
Create Date: 2026-12-03 05:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0011_intake_property_disability'
down_revision: str | None = '0010_draw_trust'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_APPLICANT = (
    ('family_property', sa.String(length=16)),
    ('disability_placement', sa.String(length=16)),
)


def upgrade() -> None:
    with op.batch_alter_table('applicants', schema=None) as batch_op:
        for name, kind in _APPLICANT:
            batch_op.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('applicants', schema=None) as batch_op:
        for name, _ in reversed(_APPLICANT):
            batch_op.drop_column(name)
