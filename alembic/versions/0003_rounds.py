"""Rounds: the district-year plan, each policy round's lifecycle, its ceremony and results.

Revision ID: 0003_rounds
Revises: 0002_choices
Create Date: 2026-11-24 13:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0003_rounds'
down_revision: str | None = '0002_choices'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('district', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('schools', sa.JSON(), nullable=False),
    sa.Column('zones', sa.JSON(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plans')),
    sa.UniqueConstraint('district', 'year', name='uq_plans_district_year')
    )
    op.create_table('rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('district', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=8), nullable=False),
    sa.Column('round', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('draw_id', sa.String(length=200), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('inputs_sha256', sa.String(length=64), nullable=True),
    sa.Column('input_root', sa.String(length=64), nullable=True),
    sa.Column('seed', sa.String(length=64), nullable=True),
    sa.Column('bundle_sha256', sa.String(length=64), nullable=True),
    sa.Column('keys', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('frozen_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('drawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('inputs', sa.Text(), nullable=True),
    sa.Column('freeze_statement', sa.Text(), nullable=True),
    sa.Column('bundle', sa.Text(), nullable=True),
    sa.Column('schools_report', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rounds')),
    sa.UniqueConstraint('district', 'year', 'stage', 'round', name='uq_rounds_district_year_stage_round'),
    sa.UniqueConstraint('draw_id', name=op.f('uq_rounds_draw_id'))
    )
    op.create_table('round_contributions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('contributor', sa.String(length=64), nullable=False),
    sa.Column('commitment', sa.String(length=64), nullable=True),
    sa.Column('nonce', sa.String(length=128), nullable=True),
    sa.Column('value', sa.String(length=256), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revealed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('waived_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_round_contributions_round_id_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round_contributions')),
    sa.UniqueConstraint('round_id', 'contributor', name='uq_round_contributions_round_id_contributor')
    )
    with op.batch_alter_table('round_contributions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_contributions_round_id'), ['round_id'], unique=False)

    op.create_table('round_results',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('applicant', sa.String(length=64), nullable=False),
    sa.Column('entry', sa.Text(), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_round_results_round_id_rounds')),
    sa.PrimaryKeyConstraint('round_id', 'applicant', name=op.f('pk_round_results'))
    )
    with op.batch_alter_table('round_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_results_applicant'), ['applicant'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('round_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_results_applicant'))
    op.drop_table('round_results')
    with op.batch_alter_table('round_contributions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_contributions_round_id'))
    op.drop_table('round_contributions')
    op.drop_table('rounds')
    op.drop_table('plans')
