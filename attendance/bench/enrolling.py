"""The benchmark enrolls students through the real enrollment service.

``enrollment`` sits above ``attendance`` in the layer rule (``webui -> enrollment ->
attendance -> models``), so library code in ``attendance`` must not import it. The benchmark
commands are a composition root exercising the whole stack, like ``attendance.cli`` loading
``enrollment``'s commands through entry points; :func:`real_enroller` therefore looks the
service up at run time, and everything else here receives it as an :class:`Enroll`
callable (tests may pass a fake).
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session

from models import Embedder

from ..config import Settings


@dataclass(frozen=True)
class EnrollOutcome:
    """What enrolling one student did: the student's id (None when no photo was accepted),
    photos accepted, refusals as (reason code, message), and wall-clock seconds spent."""

    student_id: int | None
    accepted: int
    rejected: tuple[tuple[str, str], ...]
    seconds: float


class Enroll(Protocol):
    """Enroll one student from ``photos`` (file name, encoded bytes) in ``session``."""

    def __call__(
        self,
        session: Session,
        settings: Settings,
        embedders: Sequence[Embedder],
        *,
        student_number: str,
        display_name: str,
        photos: Sequence[tuple[str, bytes]],
    ) -> EnrollOutcome: ...


def real_enroller() -> Enroll:
    """``enrollment.enroll_student`` wrapped as an :class:`Enroll`."""
    service: Any = importlib.import_module("enrollment")

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
        result = service.enroll_student(
            session, settings, embedders,
            student_number=student_number, display_name=display_name,
            consent_by="benchmark (public LFW photos)",
            photos=[service.PhotoUpload(filename=n, data=d) for n, d in photos],
            actor="bench",
        )
        rejected = tuple((str(p.reason), p.message) for p in result.photos
                         if p.outcome == "rejected")
        return EnrollOutcome(result.student_id, int(result.accepted), rejected,
                             time.perf_counter() - started)

    return enroll


__all__ = ["Enroll", "EnrollOutcome", "real_enroller"]
