"""camera availability to teachers

Adds ``camera_teachers``: the cameras an admin made available to each teacher, the only ones
a teacher may attach to their courses. Reviewed by hand: no backfill on purpose. Courses keep
the camera they have (a teacher may keep it on an edit), but nobody is given a camera
because they attached it before this rule existed: an admin decides who may use which camera.

Revision ID: 0b3e534a7ff1
Revises: 67cc2ec1a95c
Create Date: 2026-11-27 15:14:36.585374
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import attendance.db.base


revision: str = '0b3e534a7ff1'
down_revision: str | None = '67cc2ec1a95c'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('camera_teachers',
    sa.Column('camera_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('added_at', attendance.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['camera_id'], ['cameras.id'], name=op.f('fk_camera_teachers_camera_id_cameras'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_camera_teachers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('camera_id', 'user_id', name=op.f('pk_camera_teachers'))
    )
    with op.batch_alter_table('camera_teachers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_camera_teachers_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('camera_teachers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_camera_teachers_user_id'))
    op.drop_table('camera_teachers')
