"""``attendance bench``: the benchmarks' command group.

It lives here, above ``attendance`` in the layers, because the classroom and speed benchmarks
enroll students through the real enrollment service: this group hands
:func:`real_enroller` to them through the click context (``ENROLLER_KEY``), so nothing in
``attendance`` imports ``enrollment``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import click
from sqlalchemy.orm import Session

from attendance.bench.commands import classroom, speed, threads
from attendance.bench.enrolling import ENROLLER_KEY, Enroll, EnrollOutcome
from attendance.bench_worker import worker
from attendance.config import Settings
from models import Embedder

from .service import PhotoUpload, enroll_student


@click.group()
@click.pass_context
def bench(ctx: click.Context) -> None:
    """Measure how fast and how accurately the pieces run on this machine."""
    ctx.meta[ENROLLER_KEY] = real_enroller


bench.add_command(worker)
bench.add_command(classroom)
bench.add_command(speed)
bench.add_command(threads)


def real_enroller() -> Enroll:
    """``enrollment.enroll_student`` wrapped as an :class:`Enroll`.

    The duplicate check runs on every photo, but with the operator's override
    (``allow_duplicate``): LFW names are distinct people, so a photo it flags is a false
    alarm of the check, counted in :attr:`EnrollOutcome.flagged_duplicates`, and refusing
    it would shrink the rosters the benchmark is about.
    """
    def enroll(
        session: Session,
        settings: Settings,
        embedders: Sequence[Embedder],
        *,
        student_number: str,
        display_name: str,
        photos: Sequence[tuple[str, bytes]],
    ) -> EnrollOutcome:
        started = time.perf_counter()
        result = enroll_student(
            session, settings, embedders,
            student_number=student_number, display_name=display_name,
            consent_by="benchmark (public LFW photos)",
            photos=[PhotoUpload(filename=n, data=d) for n, d in photos],
            allow_duplicate=True, actor="bench",
        )
        rejected = tuple((str(p.reason), p.message) for p in result.photos
                         if p.outcome == "rejected")
        flagged = sum(1 for p in result.photos if p.duplicate_of is not None)
        return EnrollOutcome(result.student_id, int(result.accepted), rejected,
                             time.perf_counter() - started, flagged)

    return enroll
