"""Season keys: each signer's public key pinned for a district-year-stage season.

Revision ID: 0007_19_season_keys
Revises: 0006_17_routes
Create Date: 2026-12-02 22:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0007_19_season_keys'
down_revision: str | None = '0006_17_routes'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('season_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('district', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=8), nullable=False),
    sa.Column('signer', sa.String(length=32), nullable=False),
    sa.Column('public_key', sa.String(length=64), nullable=False),
    sa.Column('pinned_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_season_keys')),
    sa.UniqueConstraint('district', 'year', 'stage', 'signer', name='uq_season_keys_district_year_stage_signer')
    )


def downgrade() -> None:
    op.drop_table('season_keys')
