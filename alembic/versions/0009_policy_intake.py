"""The policy's conditions in the parent's details (issue 18): certificate holder, type and
address; the tenancy's start, continuity and sole tenancy; each guardian's employment
start, labour contract and social insurance place; a junior applicant's 学籍.

Revision ID: 0009_policy_intake
Revises: 0008_rounds_split
Create Date: 2026-12-03 02:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0009_policy_intake'
down_revision: str | None = '0008_rounds_split'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_APPLICANT = (
    ('property_holder', sa.String(length=16)),
    ('property_certificate_type', sa.String(length=24)),
    ('property_for_residence', sa.Boolean()),
    ('rental_start_date', sa.Date()),
    ('rental_continuous', sa.Boolean()),
    ('rental_sole', sa.Boolean()),
    ('school_record_province', sa.String(length=2)),
    ('school_record_district', sa.String(length=6)),
)
_GUARDIAN = (
    ('employment_start', sa.Date()),
    ('labour_contract', sa.Boolean()),
    ('social_insurance_district', sa.String(length=6)),
)


def upgrade() -> None:
    with op.batch_alter_table('applicants', schema=None) as batch_op:
        for name, kind in _APPLICANT:
            batch_op.add_column(sa.Column(name, kind, nullable=True))
    with op.batch_alter_table('guardians', schema=None) as batch_op:
        for name, kind in _GUARDIAN:
            batch_op.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('guardians', schema=None) as batch_op:
        for name, _ in reversed(_GUARDIAN):
            batch_op.drop_column(name)
    with op.batch_alter_table('applicants', schema=None) as batch_op:
        for name, _ in reversed(_APPLICANT):
            batch_op.drop_column(name)
