"""admin screens: one-time passwords, camera ids never reused

Two changes, reviewed by hand:

* ``users.must_change_password``: an account an admin created, or whose password an admin
  reset, signs in with a one-time password and must choose its own first. Existing
  accounts are not asked (false).
* Cameras can now be removed, and the audit log names them by id: on SQLite ``cameras`` is
  rebuilt with ``AUTOINCREMENT`` (``attendance.db.base.NEVER_REUSE_IDS``; batch mode: copy,
  drop, rename, with foreign keys off during migrations, see ``attendance.migrate``).
  PostgreSQL sequences never reuse ids: nothing to do there.

Revision ID: e28e49b8fbb3
Revises: 583d7a93edd8
Create Date: 2026-11-27 15:56:47.046766
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'e28e49b8fbb3'
down_revision: str | None = '583d7a93edd8'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(),
                                      server_default=sa.false(), nullable=False))
    _set_camera_autoincrement(True)


def downgrade() -> None:
    _set_camera_autoincrement(False)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')


def _set_camera_autoincrement(on: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table('cameras', recreate="always",
                              table_kwargs={"sqlite_autoincrement": on}):
        pass
