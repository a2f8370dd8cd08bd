"""One district identifier: rounds, plans and season keys store the administrative code
(``110105``) instead of the policy's slug (``chaoyang``); the slug is derived for display,
season ids and draw ids (which do not change).

Revision ID: 0008_rounds_split
Revises: 0007_19_season_keys
Create Date: 2026-12-03 02:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0008_rounds_split'
down_revision: str | None = '0007_19_season_keys'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Beijing's districts (GB/T 2260) as of this migration, code -> slug (paiwei/data/districts.json):
# copied here so that the migration means the same thing whatever the data file becomes.
DISTRICTS = {
    '110101': 'dongcheng', '110102': 'xicheng', '110105': 'chaoyang', '110106': 'fengtai',
    '110107': 'shijingshan', '110108': 'haidian', '110109': 'mentougou', '110111': 'fangshan',
    '110112': 'tongzhou', '110113': 'shunyi', '110114': 'changping', '110115': 'daxing',
    '110116': 'huairou', '110117': 'pinggu', '110118': 'miyun', '110119': 'yanqing',
}
TABLES = ('rounds', 'plans', 'season_keys')


def _rename(pairs: dict[str, str]) -> None:
    for table in TABLES:
        t = sa.table(table, sa.column('district', sa.String))
        for old, new in pairs.items():
            op.execute(t.update().where(t.c.district == old).values(district=new))


def upgrade() -> None:
    _rename({slug: code for code, slug in DISTRICTS.items()})


def downgrade() -> None:
    _rename(dict(DISTRICTS))
