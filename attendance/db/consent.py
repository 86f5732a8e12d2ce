"""Consent to face recognition: who gave it, under which notice, for which courses, and when
it was withdrawn.

Rows are never edited except to record a withdrawal; giving consent again after withdrawing
adds a new row, so the history stays readable. A student counts as consenting for a course
when some row is not withdrawn and covers it (``all_courses``, or the course is listed).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ColumnElement, ForeignKey, String, and_, exists, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Mapped, mapped_column, relationship

from .base import NEVER_REUSE_IDS, Base, utcnow


class Relation(enum.StrEnum):
    """Who gave consent: the student themself, or a parent or legal guardian."""

    STUDENT = "student"
    GUARDIAN = "guardian"


class Consent(Base):
    """One act of giving consent, and its withdrawal if any."""

    __tablename__ = "consents"
    __table_args__ = (
        CheckConstraint("relation IN ('student', 'guardian')", name="relation_valid"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(
        ForeignKey("students.id", ondelete="CASCADE"), index=True
    )
    #: Name of the person who gave consent (the student, or the guardian).
    given_by: Mapped[str] = mapped_column(String(200))
    relation: Mapped[str] = mapped_column(String(16))
    #: Version of the privacy notice that person was shown (``consent_notice_version``).
    notice_version: Mapped[str] = mapped_column(String(50))
    given_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The account (or ``"cli"``) that recorded it.
    recorded_by: Mapped[str] = mapped_column(String(200))
    #: True: every course, now and later; False: only the courses in ``courses``.
    all_courses: Mapped[bool] = mapped_column(default=True)
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by: Mapped[str | None] = mapped_column(String(200))

    courses: Mapped[list[ConsentCourse]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="selectin"
    )

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None

    @property
    def course_ids(self) -> list[int]:
        return sorted(c.course_id for c in self.courses)


class ConsentCourse(Base):
    """One course a scoped consent covers."""

    __tablename__ = "consent_courses"

    consent_id: Mapped[int] = mapped_column(
        ForeignKey("consents.id", ondelete="CASCADE"), primary_key=True
    )
    course_id: Mapped[int] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True, index=True
    )


#: For the migration that adds ``consents``: students enrolled before it, whose consent was
#: recorded only as ``students.consent_given_at``/``_by`` (the recorder), get one all-courses
#: consent under notice version ``legacy``, so nobody silently drops out of the galleries.
LEGACY_CONSENT_BACKFILL_SQL = (
    "INSERT INTO consents (student_id, given_by, relation, notice_version, given_at, "
    "recorded_by, all_courses) "
    "SELECT id, display_name, 'student', 'legacy', consent_given_at, "
    "COALESCE(consent_given_by, 'unknown'), TRUE FROM students "
    "WHERE consent_given_at IS NOT NULL "
    "AND NOT EXISTS (SELECT 1 FROM consents c WHERE c.student_id = students.id)"
)


def consent_covers(
    student_id: ColumnElement[int] | InstrumentedAttribute[int], course_id: int | None
) -> ColumnElement[bool]:
    """SQL condition: the student ``student_id`` has an active consent covering ``course_id``
    (``None``: covering any course at all). Use it in a ``where`` of any query."""
    scope: ColumnElement[bool]
    if course_id is None:
        scope = Consent.id.is_not(None)  # always true: any active consent will do
    else:
        listed = exists(select(ConsentCourse.consent_id).where(
            ConsentCourse.consent_id == Consent.id, ConsentCourse.course_id == course_id))
        scope = or_(Consent.all_courses.is_(True), listed)
    return exists(select(Consent.id).where(
        and_(Consent.student_id == student_id, Consent.withdrawn_at.is_(None), scope)))
