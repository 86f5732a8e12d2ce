"""The benchmark enrolls students through the real enrollment service.

``enrollment`` sits above ``attendance`` in the layer rule (``webui -> enrollment ->
attendance -> models``), so nothing in ``attendance`` imports it. The ``attendance bench``
group is therefore defined in ``enrollment.cli_bench``: it puts ``real_enroller`` (the
service wrapped as an :class:`Enroll`) into the click context, and the benchmarks here
receive it as a callable (tests may pass a fake).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import click
from sqlalchemy.orm import Session

from models import Embedder

from ..config import Settings


@dataclass(frozen=True)
class EnrollOutcome:
    """What enrolling one student did: the student's id (None when no photo was accepted),
    photos accepted, refusals as (reason code, message), wall-clock seconds spent, and
    photos the duplicate check took for another enrolled student (accepted anyway)."""

    student_id: int | None
    accepted: int
    rejected: tuple[tuple[str, str], ...]
    seconds: float
    flagged_duplicates: int = 0


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


#: Where the ``attendance bench`` group (``enrollment.cli_bench``) leaves the real enroller
#: for its subcommands, in ``click.Context.meta``.
ENROLLER_KEY = "attendance.bench.enroller"


def enroller_from_context() -> Enroll:
    """The enroller the ``bench`` group supplied (see :data:`ENROLLER_KEY`)."""
    factory = click.get_current_context().meta.get(ENROLLER_KEY)
    if factory is None:
        raise click.ClickException(
            "run this through 'attendance bench', which supplies the enrollment service"
        )
    enroller: Enroll = factory()
    return enroller


__all__ = ["ENROLLER_KEY", "Enroll", "EnrollOutcome", "enroller_from_context"]
