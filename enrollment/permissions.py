"""Who may enroll whom: the enrollment's questions to ``attendance.access``, asked in the
read phase and again in the write phase (the roster or the student may change in between).

* A new student: ENROLL_STUDENT, and either a course the asker may ENROLL_INTO_COURSE (the
  student joins its roster in the same transaction) or ENROLL_WITHOUT_COURSE (admins).
* Photos for an enrolled student: ADD_PHOTOS on them. Enrollment never changes an enrolled
  student's name or email (that is ``attendance.services.students.update_student``).
* A new enrollment under a number that is taken is refused (:class:`AlreadyEnrolled`): it
  names the student only to someone who may add photos to them, and is otherwise the same
  for every such number.
* A photo refused as a duplicate or a look-alike names that student only to someone who
  may see them. Overriding the duplicate check is an admin's (OVERRIDE_DUPLICATE_CHECK);
  confirming that a photo shows someone other than a look-alike is anyone's who enrolls
  (CONFIRM_LOOKALIKE), audited.
"""

from __future__ import annotations

import enum

from sqlalchemy import select
from sqlalchemy.orm import Session

from attendance import access
from attendance.access import Action, Principal
from attendance.db import Student
from attendance.errors import InvalidInput, NotFound
from attendance.messages import N_
from attendance.services.consent import has_consent

from .errors import AlreadyEnrolled

#: The refusal of a taken number to someone who may not add photos to that student.
NUMBER_TAKEN = N_("Student number %(number)s cannot be enrolled from this form: it is already "
                  "in use. If that student should join your course, add the number to the "
                  "course's roster, or ask an admin.")


class Mode(enum.StrEnum):
    """What an enrollment may do with its student number."""

    NEW = "new"  # create a student; a number that exists is refused
    ADD_PHOTOS = "add photos"  # add photos to an enrolled student; the number must exist
    NEW_OR_ADD_PHOTOS = "new or add photos"  # the operator's bulk runs: either, re-runnable


def check_new(session: Session, by: Principal | None, course_id: int | None) -> None:
    """Refuse unless ``by`` may create a student, onto ``course_id``'s roster when given."""
    access.require(session, by, Action.ENROLL_STUDENT)
    if course_id is None:
        access.require(session, by, Action.ENROLL_WITHOUT_COURSE)
    else:
        access.load_course(session, by, Action.ENROLL_INTO_COURSE, course_id)


def check_existing(session: Session, by: Principal | None, mode: Mode,
                   student: Student) -> None:
    """Refuse unless ``by`` may add photos to the enrolled ``student`` in ``mode``."""
    if mode is Mode.NEW:
        if access.may(session, by, Action.ADD_PHOTOS, student):
            raise AlreadyEnrolled(
                "Student number %(student_number)s is already enrolled (%(display_name)s): add "
                "the photos to them with “Add photos”, or check the number.", student.id,
                student_number=student.student_number, display_name=student.display_name)
        raise AlreadyEnrolled(NUMBER_TAKEN, None, number=student.student_number)
    access.require(session, by, Action.ADD_PHOTOS, student)
    if mode is Mode.ADD_PHOTOS and not has_consent(session, student.id):
        raise InvalidInput("%(display_name)s has no active consent to face recognition: record it "
                           "on their page first", display_name=student.display_name)


def check_overrides(session: Session, by: Principal | None, *, allow_duplicate: bool,
                    confirms_lookalikes: bool) -> None:
    """Refuse an override ``by`` may not make: accepting duplicates (admins) or confirming
    that photos show someone other than a look-alike (whoever may enroll)."""
    if allow_duplicate:
        access.require(session, by, Action.OVERRIDE_DUPLICATE_CHECK)
    if confirms_lookalikes:
        access.require(session, by, Action.CONFIRM_LOOKALIKE)


def nameable_numbers(session: Session, by: Principal | None) -> frozenset[str] | None:
    """The student numbers ``by`` may see (VIEW_STUDENT): a duplicate warning names only
    those. None: everyone (an admin, the operator)."""
    if by is None:
        return None
    condition = access.viewable_students(by)
    if condition is None:
        return None
    return frozenset(session.scalars(select(Student.student_number).where(condition)))


def check_missing(mode: Mode) -> None:
    """Refuse adding photos to a number nobody has."""
    if mode is Mode.ADD_PHOTOS:
        raise NotFound(access.not_found(access.Subject.STUDENT))


__all__ = ["NUMBER_TAKEN", "Mode", "check_existing", "check_missing", "check_new",
           "check_overrides", "nameable_numbers"]
