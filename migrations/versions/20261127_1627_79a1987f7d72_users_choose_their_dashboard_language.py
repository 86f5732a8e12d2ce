"""users choose their dashboard language

One change, reviewed by hand: ``users.language``, the dashboard language an account chose
on its Password page (a code such as ``es``). Nullable: NULL, and so every existing
account, means "the browser's language" (``webui.i18n``). No data to move.

Revision ID: 79a1987f7d72
Revises: e28e49b8fbb3
Create Date: 2026-11-27 16:27:22.949212
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '79a1987f7d72'
down_revision: str | None = 'e28e49b8fbb3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('language')
