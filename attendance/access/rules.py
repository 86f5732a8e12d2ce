"""The access rules as data: for every named action, which relations let a teacher do it.

An admin may do everything. A teacher may do an action to an object only when their
relation to that object is one of those listed in :data:`TEACHER_MAY` for the action. The
relation is worked out from the database by :mod:`attendance.access.relations`; this module
is pure, so the whole policy is one table that a test walks cell by cell and that
``docs/privacy.md`` ("Who can see it") writes out in words.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from ..messages import Message


class Principal(Protocol):
    """Who asks: a signed-in account (the dashboard's ``Identity`` is one)."""

    @property
    def id(self) -> int: ...

    @property
    def is_admin(self) -> bool: ...


@dataclass(frozen=True)
class Actor:
    """A :class:`Principal` as plain data, for callers without a dashboard identity."""

    id: int
    is_admin: bool = False


class Subject(enum.StrEnum):
    """What kind of object an action is done to."""

    NOTHING = "nothing"  # a global action (create a course, add a camera, ...)
    COURSE = "course"  # a course, and what hangs off it: roster, schedule, consent for it
    SESSION = "session"  # a class session: marks, evidence, thumbnails, exports, check-in
    STUDENT = "student"
    CAMERA = "camera"


class Relation(enum.StrEnum):
    """How a teacher stands to an object (an admin's relation is never asked)."""

    ANYONE = "anyone"  # global actions: every teacher stands alike
    OWN_COURSE = "own course"  # the teacher is the course's teacher
    OTHER_COURSE = "other course"  # another teacher's course, or one without a teacher
    SOLE_ROSTER = "only on own rosters"  # on a roster of theirs and on no other roster
    SHARED_ROSTER = "on own and other rosters"  # also on a course that is not theirs
    FORMER = "past records only"  # on none of their rosters, but has marks in their courses
    UNRELATED = "unrelated"  # none of the above
    AVAILABLE = "available"  # an admin made the camera available to the teacher
    ON_OWN_COURSE = "on own course only"  # not available, but filming one of their courses
    UNAVAILABLE = "unavailable"  # neither


#: The relations a teacher can have to an object of each subject.
RELATIONS: Mapping[Subject, tuple[Relation, ...]] = {
    Subject.NOTHING: (Relation.ANYONE,),
    Subject.COURSE: (Relation.OWN_COURSE, Relation.OTHER_COURSE),
    Subject.SESSION: (Relation.OWN_COURSE, Relation.OTHER_COURSE),
    Subject.STUDENT: (Relation.SOLE_ROSTER, Relation.SHARED_ROSTER, Relation.FORMER,
                      Relation.UNRELATED),
    Subject.CAMERA: (Relation.AVAILABLE, Relation.ON_OWN_COURSE, Relation.UNAVAILABLE),
}


class Action(enum.StrEnum):
    """Every permission the dashboard and the services ask for, by name."""

    # Global.
    CREATE_COURSE = "create_course"
    ENROLL_STUDENT = "enroll_student"
    IMPORT_ROSTER = "import_roster"
    ENROLL_WITHOUT_COURSE = "enroll_without_course"
    OVERRIDE_DUPLICATE_CHECK = "override_duplicate_check"
    CONSENT_FOR_ALL_COURSES = "consent_for_all_courses"
    MANAGE_CAMERAS = "manage_cameras"
    ASSIGN_TEACHER = "assign_teacher"
    MANAGE_USERS = "manage_users"
    CONFIRM_LOOKALIKE = "confirm_lookalike"
    # A course.
    VIEW_COURSE = "view_course"
    CHANGE_COURSE = "change_course"
    ENROLL_INTO_COURSE = "enroll_into_course"
    CONSENT_FOR_COURSE = "consent_for_course"
    # A class session.
    VIEW_SESSION = "view_session"
    CHANGE_SESSION = "change_session"
    # A student.
    VIEW_STUDENT = "view_student"
    LIST_STUDENT = "list_student"
    EDIT_STUDENT = "edit_student"
    ADD_PHOTOS = "add_photos"
    MANAGE_CONSENT = "manage_consent"
    ADD_TO_OWN_ROSTER = "add_to_own_roster"
    ERASE_STUDENT = "erase_student"
    # A camera.
    VIEW_CAMERA = "view_camera"
    USE_CAMERA = "use_camera"
    SEE_CAMERA_SOURCE = "see_camera_source"

    @property
    def subject(self) -> Subject:
        """The kind of object this action is done to."""
        return SUBJECT_OF[self]


#: The subject of every action.
SUBJECT_OF: Mapping[Action, Subject] = {
    Action.CREATE_COURSE: Subject.NOTHING,
    Action.ENROLL_STUDENT: Subject.NOTHING,
    Action.IMPORT_ROSTER: Subject.NOTHING,
    Action.ENROLL_WITHOUT_COURSE: Subject.NOTHING,
    Action.OVERRIDE_DUPLICATE_CHECK: Subject.NOTHING,
    Action.CONSENT_FOR_ALL_COURSES: Subject.NOTHING,
    Action.MANAGE_CAMERAS: Subject.NOTHING,
    Action.ASSIGN_TEACHER: Subject.NOTHING,
    Action.MANAGE_USERS: Subject.NOTHING,
    Action.CONFIRM_LOOKALIKE: Subject.NOTHING,
    Action.VIEW_COURSE: Subject.COURSE,
    Action.CHANGE_COURSE: Subject.COURSE,
    Action.ENROLL_INTO_COURSE: Subject.COURSE,
    Action.CONSENT_FOR_COURSE: Subject.COURSE,
    Action.VIEW_SESSION: Subject.SESSION,
    Action.CHANGE_SESSION: Subject.SESSION,
    Action.VIEW_STUDENT: Subject.STUDENT,
    Action.LIST_STUDENT: Subject.STUDENT,
    Action.EDIT_STUDENT: Subject.STUDENT,
    Action.ADD_PHOTOS: Subject.STUDENT,
    Action.MANAGE_CONSENT: Subject.STUDENT,
    Action.ADD_TO_OWN_ROSTER: Subject.STUDENT,
    Action.ERASE_STUDENT: Subject.STUDENT,
    Action.VIEW_CAMERA: Subject.CAMERA,
    Action.USE_CAMERA: Subject.CAMERA,
    Action.SEE_CAMERA_SOURCE: Subject.CAMERA,
}

_ROSTERED = frozenset({Relation.SOLE_ROSTER, Relation.SHARED_ROSTER})

#: For a teacher: the relations that permit each action. Empty: admins only.
TEACHER_MAY: Mapping[Action, frozenset[Relation]] = {
    # Global actions.
    Action.CREATE_COURSE: frozenset({Relation.ANYONE}),  # the course is their own
    Action.ENROLL_STUDENT: frozenset({Relation.ANYONE}),  # onto a roster of their own
    Action.IMPORT_ROSTER: frozenset({Relation.ANYONE}),  # naming only their own courses
    Action.ENROLL_WITHOUT_COURSE: frozenset(),  # a teacher's new student joins their roster
    Action.OVERRIDE_DUPLICATE_CHECK: frozenset(),
    Action.CONSENT_FOR_ALL_COURSES: frozenset(),  # it would reach other teachers' courses
    Action.MANAGE_CAMERAS: frozenset(),  # add, change, remove cameras; decide who uses them
    Action.ASSIGN_TEACHER: frozenset(),  # a teacher's courses are their own
    Action.MANAGE_USERS: frozenset(),  # accounts, roles, password resets
    # A photo between the duplicate and the match threshold of another student: whoever
    # enrolls confirms it shows someone else (audited; the look-alike is named only to
    # those who may see them). Below the duplicate threshold only an admin overrides.
    Action.CONFIRM_LOOKALIKE: frozenset({Relation.ANYONE}),
    # Courses.
    Action.VIEW_COURSE: frozenset({Relation.OWN_COURSE}),
    Action.CHANGE_COURSE: frozenset({Relation.OWN_COURSE}),
    Action.ENROLL_INTO_COURSE: frozenset({Relation.OWN_COURSE}),
    Action.CONSENT_FOR_COURSE: frozenset({Relation.OWN_COURSE}),
    # Class sessions: through their course.
    Action.VIEW_SESSION: frozenset({Relation.OWN_COURSE}),
    Action.CHANGE_SESSION: frozenset({Relation.OWN_COURSE}),
    # Students.
    Action.VIEW_STUDENT: _ROSTERED | {Relation.FORMER},
    Action.LIST_STUDENT: _ROSTERED,
    # Name, email and face reach every course the student is on: only while no other
    # teacher's course is among them.
    Action.EDIT_STUDENT: frozenset({Relation.SOLE_ROSTER}),
    Action.ADD_PHOTOS: frozenset({Relation.SOLE_ROSTER}),
    Action.MANAGE_CONSENT: _ROSTERED,  # and only for their own courses: CONSENT_FOR_COURSE
    # By exact student number, audited: how an existing student joins a teacher's class.
    Action.ADD_TO_OWN_ROSTER: frozenset(RELATIONS[Subject.STUDENT]),
    Action.ERASE_STUDENT: frozenset(),
    # Cameras.
    Action.VIEW_CAMERA: frozenset({Relation.AVAILABLE, Relation.ON_OWN_COURSE}),
    Action.USE_CAMERA: frozenset({Relation.AVAILABLE}),
    Action.SEE_CAMERA_SOURCE: frozenset(),
}

#: Each action in words, for refusals: "You may not <words>" (translated on the web).
WORDS: Mapping[Action, str] = {
    Action.CREATE_COURSE: Message("create a course"),
    Action.ENROLL_STUDENT: Message("enroll a student"),
    Action.IMPORT_ROSTER: Message("import a roster"),
    Action.ENROLL_WITHOUT_COURSE: Message("enroll a student without putting them on a course"),
    Action.OVERRIDE_DUPLICATE_CHECK: Message("override the duplicate check"),
    Action.CONSENT_FOR_ALL_COURSES: Message("record or withdraw consent for all courses"),
    Action.MANAGE_CAMERAS: Message("add, change or remove cameras, or decide who uses them"),
    Action.VIEW_COURSE: Message("see this course"),
    Action.CHANGE_COURSE: Message("change this course"),
    Action.ASSIGN_TEACHER: Message("choose the teacher of a course"),
    Action.MANAGE_USERS: Message("manage dashboard accounts"),
    Action.CONFIRM_LOOKALIKE: Message("confirm that a photo shows a different person"),
    Action.ENROLL_INTO_COURSE: Message("enroll students into this course"),
    Action.CONSENT_FOR_COURSE: Message("record or withdraw consent for this course"),
    Action.VIEW_SESSION: Message("see this class session"),
    Action.CHANGE_SESSION: Message("change this class session"),
    Action.VIEW_STUDENT: Message("see this student"),
    Action.LIST_STUDENT: Message("list this student"),
    Action.EDIT_STUDENT: Message("change this student's name or email"),
    Action.ADD_PHOTOS: Message("add photos to this student"),
    Action.MANAGE_CONSENT: Message("record or withdraw this student's consent"),
    Action.ADD_TO_OWN_ROSTER: Message("add this student to your roster"),
    Action.ERASE_STUDENT: Message("erase this student"),
    Action.VIEW_CAMERA: Message("see this camera"),
    Action.USE_CAMERA: Message("use this camera"),
    Action.SEE_CAMERA_SOURCE: Message("see this camera's source"),
}

#: The action whose refusal means "you may not even know this exists" (answered 404); a
#: refusal of another action on a visible object is answered 403.
VIEW_ACTION: Mapping[Subject, Action] = {
    Subject.COURSE: Action.VIEW_COURSE,
    Subject.SESSION: Action.VIEW_SESSION,
    Subject.STUDENT: Action.VIEW_STUDENT,
    Subject.CAMERA: Action.VIEW_CAMERA,
}


def permits(principal: Principal, action: Action, relation: Relation) -> bool:
    """Whether ``principal``, standing in ``relation`` to the object, may do ``action``."""
    if principal.is_admin:
        return True
    if relation not in RELATIONS[action.subject]:
        raise ValueError(f"{relation!r} is no relation to a {action.subject.value}")
    return relation in TEACHER_MAY[action]


__all__ = ["RELATIONS", "SUBJECT_OF", "TEACHER_MAY", "VIEW_ACTION", "Action", "Actor", "Principal",
           "Relation", "Subject", "WORDS", "permits"]
