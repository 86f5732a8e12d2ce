"""forget erased students in sightings' evidence

Data only, no schema change. Until commit ef910d4 (2026-12-07) erasing a student removed them
as a model's nearest match (``candidate``) from other faces' sightings, but not as the fused
score's ``runner_up``, which the evidence has stored since the margin over the runner-up. A
sighting recorded before then may still name, as its runner-up, a student who has since been
erased. Student ids are never reused, so such an id names nobody, but an erasure should leave
no trace of the student: this revision removes every ``candidate`` and ``runner_up`` that names
no existing student (a candidate so removed no longer counts as accepted, as erasure does).
Sightings are read and rewritten in batches by id, so a large table is never held in memory.
The rule is written out here rather than imported from ``attendance.services.sightings``, so
that this revision does what it did whatever that code becomes.

Downgrade changes nothing: the removed ids named deleted rows, and there is nothing to put back.

Revision ID: 5f0c2d9b7e14
Revises: 79a1987f7d72
Create Date: 2026-12-07 11:10:00
"""

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op


revision: str = '5f0c2d9b7e14'
down_revision: str | None = '79a1987f7d72'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000

_students = sa.table("students", sa.column("id", sa.Integer))
_sightings = sa.table("sightings", sa.column("id", sa.Integer), sa.column("evidence", sa.JSON))


def upgrade() -> None:
    bind = op.get_bind()
    existing = set(bind.scalars(sa.select(_students.c.id)))
    last = 0
    while True:
        rows = bind.execute(
            sa.select(_sightings.c.id, _sightings.c.evidence)
            .where(_sightings.c.id > last).order_by(_sightings.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        for sighting_id, evidence in rows:
            cleaned = _naming_only(evidence, existing)
            if cleaned != evidence:
                bind.execute(_sightings.update().where(_sightings.c.id == sighting_id)
                             .values(evidence=cleaned))
        last = rows[-1][0]


def downgrade() -> None:
    pass


def _naming_only(evidence: Any, existing: set[int]) -> Any:
    """``evidence`` (``{model: {"candidate": id, "runner_up": id, ...}}``) without the
    candidates and runner-ups that are not in ``existing``; anything else as it is."""
    if not isinstance(evidence, Mapping):
        return evidence
    out: dict[str, Any] = {}
    for model, entry in evidence.items():
        if isinstance(entry, Mapping):
            if _gone(entry.get("candidate"), existing):
                entry = {**entry, "candidate": None, "accepted": False}
            if _gone(entry.get("runner_up"), existing):
                entry = {**entry, "runner_up": None}
        out[model] = entry
    return out


def _gone(value: Any, existing: set[int]) -> bool:
    """Whether ``value`` is a student id (an int, not a bool) naming no existing student."""
    return isinstance(value, int) and not isinstance(value, bool) and value not in existing
