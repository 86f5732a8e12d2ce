"""What became of an enrollment: each photo's outcome, and the student it was stored for."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from .lookalikes import LookAlike


class Outcome(enum.StrEnum):
    ACCEPTED = "accepted"
    SKIPPED = "skipped"
    REJECTED = "rejected"
    #: Fine, but not stored: another photo of the upload waits for the enroller to confirm a
    #: look-alike (``EnrollmentRequest.hold_for_confirmation``).
    HELD = "held"


@dataclass(frozen=True)
class PhotoOutcome:
    """What happened to one photo; ``reason`` is a :class:`PhotoRejected` code or None."""

    filename: str
    outcome: Outcome
    message: str
    content_hash: str
    reason: str | None = None
    photo_id: int | None = None
    #: Set when the photo was accepted although it looks like this other student ...
    duplicate_of: str | None = None
    #: ... as a duplicate (the check overridden) or a look-alike (confirmed as another person).
    duplicate_tier: str | None = None
    #: Why a photo refused as a look-alike was refused, for the confirmation on the form.
    lookalike: LookAlike | None = None


@dataclass(frozen=True)
class EnrollmentResult:
    """The outcome of ``enrollment.service.enroll_student``; ``student_id`` is None if
    nothing was stored."""

    student_number: str
    student_id: int | None
    created: bool
    photos: tuple[PhotoOutcome, ...] = field(default_factory=tuple)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for p in self.photos if p.outcome is outcome)

    @property
    def accepted(self) -> int:
        return self.count(Outcome.ACCEPTED)

    @property
    def skipped(self) -> int:
        return self.count(Outcome.SKIPPED)

    @property
    def rejected(self) -> int:
        return self.count(Outcome.REJECTED)

    @property
    def held(self) -> int:
        return self.count(Outcome.HELD)

    @property
    def lookalikes(self) -> tuple[LookAlike, ...]:
        """The look-alikes awaiting confirmation, one per student."""
        found: dict[int, LookAlike] = {}
        for photo in self.photos:
            if photo.lookalike is not None:
                found.setdefault(photo.lookalike.student_id, photo.lookalike)
        return tuple(found.values())


__all__ = ["EnrollmentResult", "Outcome", "PhotoOutcome"]
