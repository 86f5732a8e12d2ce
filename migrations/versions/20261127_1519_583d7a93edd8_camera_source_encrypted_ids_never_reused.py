"""camera source encrypted; ids never reused

Two changes, reviewed by hand:

* ``cameras.source_secret`` / ``cameras.source_key_id``: a source URL with credentials is
  stored encrypted with the template key (``attendance.services.cameras``). Existing rows are
  left as they are here (a migration never needs the key); ``attendance keys rotate``
  encrypts a stored URL with credentials and keeps only its redacted form in ``source``.
* On SQLite, the tables whose ids the audit log names and whose rows get deleted
  (``attendance.db.base.NEVER_REUSE_IDS``) are rebuilt with ``AUTOINCREMENT`` (batch mode:
  copy, drop, rename; ``attendance.migrate`` runs migrations with foreign keys off and
  checks them before commit, so the drop cascades nowhere). PostgreSQL sequences never reuse
  ids: nothing to do there.

Revision ID: 583d7a93edd8
Revises: 0b3e534a7ff1
Create Date: 2026-11-27 15:19:32.728859
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '583d7a93edd8'
down_revision: str | None = '0b3e534a7ff1'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The tables of ``attendance.db.base.NEVER_REUSE_IDS``.
NEVER_REUSED = ("students", "face_photos", "consents", "attendance_records", "sightings")


def upgrade() -> None:
    with op.batch_alter_table('cameras', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_secret', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('source_key_id', sa.String(length=32), nullable=True))
    _set_autoincrement(True)


def downgrade() -> None:
    _set_autoincrement(False)
    with op.batch_alter_table('cameras', schema=None) as batch_op:
        batch_op.drop_column('source_key_id')
        batch_op.drop_column('source_secret')


def _set_autoincrement(on: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in NEVER_REUSED:
        with op.batch_alter_table(table, recreate="always",
                                  table_kwargs={"sqlite_autoincrement": on}):
            pass
