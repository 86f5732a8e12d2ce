"""Giving and withdrawing consent to face recognition, both audited.

Withdrawal takes effect at once: galleries are loaded with :func:`attendance.db.consent_covers`
in their query, and the worker's gallery cache re-checks the consenting roster on every frame
batch, so a withdrawn student is never matched again from the next capture on. Face data is
kept until the student is erased (``attendance.services.erasure``), so consent can be given
again without new photos.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import access
from ..access import Action, Principal
from ..db import Consent, ConsentCourse, Course, Relation, Student, consent_covers, utcnow
from ..errors import InvalidInput, NotFound
from .audit import record_audit


def give_consent(
    session: Session,
    student_id: int,
    *,
    given_by: str,
    relation: str = Relation.STUDENT.value,
    notice_version: str,
    course_ids: Collection[int] | None = None,
    actor: str,
    user_id: int | None = None,
    recorded_by: str | None = None,
    by: Principal | None = None,
) -> Consent:
    """Record that ``given_by`` (the student, or a guardian: ``relation``) consented, having
    seen notice ``notice_version``, for the courses ``course_ids`` (``None``: all courses).

    ``recorded_by`` is who took the consent down (default: ``actor``, who is audited).
    Always adds a new row (history is kept). Raises :class:`NotFound` for an unknown student
    or course and :class:`InvalidInput` for an empty name, an unknown relation or an empty
    course list. ``by`` (None: the operator) must be allowed MANAGE_CONSENT on the student
    and consent for every course named (all courses: admins only), see ``attendance.access``.
    """
    student = session.get(Student, student_id)
    if student is None:
        raise NotFound("student %(student_id)s does not exist", student_id=student_id)
    access.require(session, by, Action.MANAGE_CONSENT, student)
    name = given_by.strip()
    if not name or len(name) > 200:
        raise InvalidInput("name who gave consent (1 to 200 characters)")
    if relation not in {r.value for r in Relation}:
        raise InvalidInput("consent is given by the student or a guardian, not %(relation)r",
                           relation=relation)
    version = notice_version.strip()
    if not version or len(version) > 50:
        raise InvalidInput("give the version of the privacy notice shown (1 to 50 characters)")
    courses: list[int] = []
    if course_ids is not None:
        courses = sorted(set(course_ids))
        if not courses:
            raise InvalidInput("choose at least one course, or all courses")
        found = set(session.scalars(select(Course.id).where(Course.id.in_(courses))))
        if missing := [c for c in courses if c not in found]:
            raise NotFound("course(s) %(missing)s do not exist", missing=missing)
    access.require_consent_scope(session, by, None if course_ids is None else courses)
    consent = Consent(student_id=student.id, given_by=name, relation=relation,
                      notice_version=version, recorded_by=(recorded_by or actor)[:200],
                      given_at=utcnow(),
                      all_courses=course_ids is None,
                      courses=[ConsentCourse(course_id=c) for c in courses])
    session.add(consent)
    session.flush()
    record_audit(session, actor=actor, action="consent.give", target_type="student",
                 target_id=student.id, user_id=user_id,
                 details={"consent_id": consent.id, "given_by": name, "relation": relation,
                          "notice_version": version,
                          "courses": "all" if course_ids is None else courses})
    return consent


def withdraw_consent(
    session: Session,
    student_id: int,
    *,
    consent_id: int | None = None,
    actor: str,
    user_id: int | None = None,
    by: Principal | None = None,
) -> list[Consent]:
    """Withdraw the student's active consent ``consent_id`` (``None``: every active one);
    returns the rows withdrawn. Withdrawing what is already withdrawn changes nothing.

    ``by`` (None: the operator) must be allowed MANAGE_CONSENT on the student and consent
    for every course each row covers: a teacher withdraws only consents for their own
    courses, an all-courses consent is withdrawn by an admin (``attendance.access``)."""
    query = select(Consent).where(Consent.student_id == student_id, Consent.withdrawn_at.is_(None))
    if consent_id is not None:
        query = query.where(Consent.id == consent_id)
    rows = list(session.scalars(query))
    student = session.get(Student, student_id)
    if student is None:
        raise NotFound("student %(student_id)s does not exist", student_id=student_id)
    access.require(session, by, Action.MANAGE_CONSENT, student)
    for row in rows:
        access.require_consent_scope(session, by, None if row.all_courses else row.course_ids)
    now = utcnow()
    for row in rows:
        row.withdrawn_at, row.withdrawn_by = now, actor
        record_audit(session, actor=actor, action="consent.withdraw", target_type="student",
                     target_id=student_id, user_id=user_id, details={"consent_id": row.id})
    session.flush()
    return rows


def ensure_consent(session: Session, student_id: int, **give: Any) -> Consent | None:
    """:func:`give_consent` (same keywords) unless the student already has an active consent;
    returns the new row, or None when nothing changed."""
    if has_consent(session, student_id):
        return None
    return give_consent(session, student_id, **give)


def consent_history(session: Session, student_id: int) -> list[Consent]:
    """Every consent of the student, newest first."""
    return list(session.scalars(select(Consent).where(Consent.student_id == student_id)
                                .order_by(Consent.given_at.desc(), Consent.id.desc())))


def has_consent(session: Session, student_id: int, course_id: int | None = None) -> bool:
    """Whether the student has an active consent covering ``course_id`` (None: any course)."""
    return student_id in consenting_students(session, {student_id}, course_id)


def consenting_students(
    session: Session, student_ids: Collection[int], course_id: int | None = None
) -> set[int]:
    """Those of ``student_ids`` with an active consent covering ``course_id`` (None: any)."""
    if not student_ids:
        return set()
    return set(session.scalars(select(Student.id).where(
        Student.id.in_(set(student_ids)), consent_covers(Student.id, course_id))))


__all__ = ["consent_history", "consenting_students", "ensure_consent", "give_consent",
           "has_consent", "withdraw_consent"]
