"""A course's roster: the students whose attendance it takes."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .. import access
from ..access import Action, Principal
from ..db import Enrollment, Student, consent_covers
from ..errors import NotFound
from ..messages import Message


def add_to_roster(
    session: Session,
    course_id: int,
    *,
    student_ids: Iterable[int] = (),
    student_numbers: Iterable[str] = (),
    by: Principal | None = None,
) -> list[Student]:
    """Put students on the course roster (idempotent); returns those newly added.

    Students are named by database id or by student number; an unknown one raises
    :class:`NotFound` before anything is added, saying that the valid ones were not added
    either. ``by`` (None: the operator) must be allowed to change the course and to add each
    student to it (``attendance.access``).
    """
    access.load_course(session, by, Action.CHANGE_COURSE, course_id)
    numbers = {n.strip() for n in student_numbers if n.strip()}
    known = set(session.scalars(select(Student.student_number)
                                .where(Student.student_number.in_(numbers))))
    if unknown := sorted(numbers - known):
        valid = len(known) + len(set(student_ids))
        if len(unknown) == 1:
            refusal = Message("Nothing was added: no student has the number %(numbers)s (enroll "
                              "them first, or correct the number).", numbers=unknown[0])
        else:
            refusal = Message("Nothing was added: no student has the numbers %(numbers)s (enroll "
                              "them first, or correct the numbers).", numbers=", ".join(unknown))
        if valid:
            raise NotFound("%(refusal)s The %(valid)s other number(s) were valid but were not "
                           "added either: correct or remove the unknown one(s) and add the "
                           "list again.", refusal=refusal, valid=valid)
        raise NotFound(refusal)
    students = _resolve_students(session, student_ids, numbers)
    for student in students:
        access.require(session, by, Action.ADD_TO_OWN_ROSTER, student)
    present = set(
        session.scalars(select(Enrollment.student_id).where(Enrollment.course_id == course_id))
    )
    added = [s for s in students if s.id not in present]
    session.add_all(Enrollment(course_id=course_id, student_id=s.id) for s in added)
    session.flush()
    return added


def remove_from_roster(
    session: Session,
    course_id: int,
    *,
    student_ids: Iterable[int] = (),
    student_numbers: Iterable[str] = (),
    by: Principal | None = None,
) -> int:
    """Take students off the roster (idempotent); returns how many were on it.

    Their past attendance records are kept. ``by`` (None: the operator) must be allowed to
    change the course.
    """
    access.load_course(session, by, Action.CHANGE_COURSE, course_id)
    ids = [s.id for s in _resolve_students(session, student_ids, student_numbers)]
    if not ids:
        return 0
    result = session.execute(
        delete(Enrollment)
        .where(Enrollment.course_id == course_id, Enrollment.student_id.in_(ids))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def roster(session: Session, course_id: int) -> list[Student]:
    """The students on the course roster, by student number."""
    return list(
        session.scalars(
            select(Student)
            .join(Enrollment, Enrollment.student_id == Student.id)
            .where(Enrollment.course_id == course_id)
            .order_by(Student.student_number)
        )
    )


def nameable_students(
    session: Session, course_id: int, student_ids: Collection[int] | None = None
) -> dict[int, Student]:
    """The students a face may be named as on the course's dashboard pages, by id: those on
    its roster whose active consent covers the course (of ``student_ids`` only, when given).

    Nobody else is named beside a face, not even as the one it looks like: the review queue
    and the evidence page both ask this."""
    query = (select(Student).join(Enrollment, Enrollment.student_id == Student.id)
             .where(Enrollment.course_id == course_id, consent_covers(Student.id, course_id)))
    if student_ids is not None:
        if not student_ids:
            return {}
        query = query.where(Student.id.in_(set(student_ids)))
    return {s.id: s for s in session.scalars(query)}


def _resolve_students(
    session: Session, student_ids: Iterable[int], student_numbers: Iterable[str]
) -> list[Student]:
    ids, numbers = set(student_ids), {n.strip() for n in student_numbers}
    found: dict[int, Student] = {}
    if ids:
        by_id = {s.id: s for s in session.scalars(select(Student).where(Student.id.in_(ids)))}
        if missing := sorted(ids - by_id.keys()):
            raise NotFound("no student with id %(ids)s", ids=', '.join(map(str, missing)))
        found.update(by_id)
    if numbers:
        by_number = {
            s.student_number: s
            for s in session.scalars(select(Student).where(Student.student_number.in_(numbers)))
        }
        if missing_numbers := sorted(numbers - by_number.keys()):
            raise NotFound(
                "no student with number %(numbers)s; enroll them first",
                numbers=', '.join(missing_numbers)
            )
        found.update((s.id, s) for s in by_number.values())
    return [found[k] for k in sorted(found)]


__all__ = ["add_to_roster", "nameable_students", "remove_from_roster", "roster"]
