"""What an enrollment is asked to do: the photos, who to enroll, the consent recorded, and
what the enroller confirmed or overrode (``enrollment.service`` says what each field does)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from attendance.access import Principal
from attendance.db import Relation

from .permissions import Mode


@dataclass(frozen=True)
class PhotoUpload:
    """One uploaded photo. ``filename`` is only shown in messages, never used as a path."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class EnrollmentRequest:
    """Who to enroll, with which photos, and the consent recorded (see
    ``enrollment.service.enroll_student`` for each field's meaning)."""

    student_number: str
    consent_by: str
    photos: Sequence[PhotoUpload]
    display_name: str | None = None
    email: str | None = None
    allow_duplicate: bool = False
    actor: str = "cli"
    consent_given_by: str | None = None
    consent_relation: str = Relation.STUDENT.value
    notice_version: str | None = None
    consent_course_ids: Collection[int] | None = None
    #: New student, photos for an enrolled one, or either (the operator's bulk runs).
    mode: Mode = Mode.NEW_OR_ADD_PHOTOS
    #: The course whose roster a new student joins (None: none; admins only).
    course_id: int | None = None
    #: Who asks (``attendance.access``); None: the operator.
    by: Principal | None = None
    #: Ids of enrolled students the enroller confirmed the photos are *not* (look-alikes,
    #: see ``enrollment.duplicates``); photos resembling them are stored, audited.
    confirmed_lookalikes: frozenset[int] = frozenset()
    #: Store nothing while any photo waits for a look-alike's confirmation (the web form
    #: asks first); otherwise the other photos are stored and the look-alike is refused.
    hold_for_confirmation: bool = False

    @property
    def number(self) -> str:
        return self.student_number.strip()

    @property
    def name(self) -> str | None:
        return (self.display_name or "").strip() or None


__all__ = ["EnrollmentRequest", "PhotoUpload"]
