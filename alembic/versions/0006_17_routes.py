"""Routing decisions stored per applicant; every round's accounting; the plan's school addresses.

Revision ID: 0006_17_routes
Revises: 0005_18_review_findings
Create Date: 2026-12-02 22:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0006_17_routes'
down_revision: str | None = '0005_18_review_findings'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('applicant_routes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('applicant_id', sa.Integer(), nullable=False),
    sa.Column('district', sa.String(length=6), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=8), nullable=False),
    sa.Column('eligible', sa.Boolean(), nullable=False),
    sa.Column('eligibility_rule', sa.String(length=40), nullable=False),
    sa.Column('eligibility_section', sa.String(length=40), nullable=False),
    sa.Column('route', sa.String(length=16), nullable=False),
    sa.Column('route_rule', sa.String(length=40), nullable=False),
    sa.Column('route_section', sa.String(length=40), nullable=False),
    sa.Column('zone', sa.String(length=32), nullable=True),
    sa.Column('school', sa.String(length=64), nullable=True),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('priority_rule', sa.String(length=40), nullable=False),
    sa.Column('priority_section', sa.String(length=40), nullable=False),
    sa.Column('allowed', sa.JSON(), nullable=False),
    sa.Column('plan_sha256', sa.String(length=64), nullable=False),
    sa.Column('routed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['applicant_id'], ['applicants.id'],
                            name=op.f('fk_applicant_routes_applicant_id_applicants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_applicant_routes')),
    sa.UniqueConstraint('applicant_id', 'year', name='uq_applicant_routes_applicant_id_year')
    )
    with op.batch_alter_table('applicant_routes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_applicant_routes_district'), ['district'], unique=False)
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('accounting', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('plan_rounds', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('published_sha256', sa.String(length=64), nullable=True))
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('addresses', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.drop_column('addresses')
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.drop_column('published_sha256')
        batch_op.drop_column('plan_rounds')
        batch_op.drop_column('accounting')
    with op.batch_alter_table('applicant_routes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_applicant_routes_district'))
    op.drop_table('applicant_routes')
