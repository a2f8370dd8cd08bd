"""The drand record a round's beacon contribution was checked against, published beside its bundle.

Revision ID: 0010_draw_trust
Revises: 0009_policy_intake
Create Date: 2026-12-03 02:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0010_draw_trust'
down_revision: str | None = '0009_policy_intake'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('rounds', sa.Column('beacon_record', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('rounds') as batch:
        batch.drop_column('beacon_record')
