"""The access policy, cell by cell: every (role, relation, action) of ``attendance.access``.

:data:`SPEC` is the policy written out independently of the code (the table in
``docs/privacy.md``, "Who can see it"): for a teacher, whether each relation to an object
permits each action; an admin may do everything. The tests check that the rules module says
exactly this, that the relations are read correctly from real rows (SQLite and PostgreSQL),
that refusals are 404-like (NotFound) exactly where the object may not even be seen, and that
the list queries agree with the per-object answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from attendance import access
from attendance.access import RELATIONS, Action, Actor, Relation, Subject
from attendance.db import (
    AttendanceRecord,
    Camera,
    CameraTeacher,
    ClassSession,
    Course,
    Enrollment,
    Role,
    Student,
    User,
)
from attendance.errors import NotFound, PermissionDenied

Y, N = True, False
R = Relation

#: For a teacher: may each relation do each action? (An admin: always yes.)
SPEC: dict[Action, dict[Relation, bool]] = {
    Action.CREATE_COURSE: {R.ANYONE: Y},
    Action.ENROLL_STUDENT: {R.ANYONE: Y},
    Action.IMPORT_ROSTER: {R.ANYONE: Y},
    Action.ENROLL_WITHOUT_COURSE: {R.ANYONE: N},
    Action.OVERRIDE_DUPLICATE_CHECK: {R.ANYONE: N},
    Action.CONSENT_FOR_ALL_COURSES: {R.ANYONE: N},
    Action.MANAGE_CAMERAS: {R.ANYONE: N},
    Action.ASSIGN_TEACHER: {R.ANYONE: N},
    Action.MANAGE_USERS: {R.ANYONE: N},
    Action.CONFIRM_LOOKALIKE: {R.ANYONE: Y},
    Action.VIEW_COURSE: {R.OWN_COURSE: Y, R.OTHER_COURSE: N},
    Action.CHANGE_COURSE: {R.OWN_COURSE: Y, R.OTHER_COURSE: N},
    Action.ENROLL_INTO_COURSE: {R.OWN_COURSE: Y, R.OTHER_COURSE: N},
    Action.CONSENT_FOR_COURSE: {R.OWN_COURSE: Y, R.OTHER_COURSE: N},
    Action.VIEW_SESSION: {R.OWN_COURSE: Y, R.OTHER_COURSE: N},
    Action.CHANGE_SESSION: {R.OWN_COURSE: Y, R.OTHER_COURSE: N},
    Action.VIEW_STUDENT: {R.SOLE_ROSTER: Y, R.SHARED_ROSTER: Y, R.FORMER: Y, R.UNRELATED: N},
    Action.LIST_STUDENT: {R.SOLE_ROSTER: Y, R.SHARED_ROSTER: Y, R.FORMER: N, R.UNRELATED: N},
    Action.EDIT_STUDENT: {R.SOLE_ROSTER: Y, R.SHARED_ROSTER: N, R.FORMER: N, R.UNRELATED: N},
    Action.ADD_PHOTOS: {R.SOLE_ROSTER: Y, R.SHARED_ROSTER: N, R.FORMER: N, R.UNRELATED: N},
    Action.MANAGE_CONSENT: {R.SOLE_ROSTER: Y, R.SHARED_ROSTER: Y, R.FORMER: N, R.UNRELATED: N},
    Action.ADD_TO_OWN_ROSTER: {R.SOLE_ROSTER: Y, R.SHARED_ROSTER: Y, R.FORMER: Y,
                               R.UNRELATED: Y},
    Action.ERASE_STUDENT: {R.SOLE_ROSTER: N, R.SHARED_ROSTER: N, R.FORMER: N, R.UNRELATED: N},
    Action.VIEW_CAMERA: {R.AVAILABLE: Y, R.ON_OWN_COURSE: Y, R.UNAVAILABLE: N},
    Action.USE_CAMERA: {R.AVAILABLE: Y, R.ON_OWN_COURSE: N, R.UNAVAILABLE: N},
    Action.SEE_CAMERA_SOURCE: {R.AVAILABLE: N, R.ON_OWN_COURSE: N, R.UNAVAILABLE: N},
}


def _cells() -> list[tuple[Action, Relation]]:
    return [(a, r) for a in Action for r in RELATIONS[a.subject]]


def test_the_spec_covers_every_cell_and_nothing_else() -> None:
    assert {(a, r) for a, row in SPEC.items() for r in row} == set(_cells())
    assert len(_cells()) == 59  # 27 actions; each cell is also checked for an admin


@pytest.mark.parametrize(("action", "relation"), _cells(), ids=lambda v: str(v))
def test_rules_say_what_the_spec_says(action: Action, relation: Relation) -> None:
    assert access.permits(Actor(1, is_admin=True), action, relation)
    assert access.permits(Actor(2), action, relation) is SPEC[action][relation]


def test_a_relation_of_another_subject_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="no relation to a course"):
        access.permits(Actor(2), Action.VIEW_COURSE, Relation.SOLE_ROSTER)


@dataclass(frozen=True)
class World:
    """Rows in every relation to Alice; Bob is the other teacher."""

    admin: Actor
    alice: Actor
    bob: Actor
    objects: dict[str, Course | ClassSession | Student | Camera]
    #: object name -> (Alice's relation, Bob's relation)
    relations: dict[str, tuple[Relation, Relation]]


START = datetime(2026, 3, 2, 8, tzinfo=UTC)


def _world(session: Session) -> World:
    users = {name: User(username=name, role=role.value, password_hash="x")
             for name, role in (("admin", Role.ADMIN), ("alice", Role.TEACHER),
                                ("bob", Role.TEACHER))}
    session.add_all(users.values())
    session.flush()
    alice, bob = users["alice"].id, users["bob"].id
    cams = {n: Camera(name=n, source=f"rtsp://user:secret@{n}/stream")
            for n in ("cam_available", "cam_filming", "cam_unavailable")}
    session.add_all(cams.values())
    session.flush()
    session.add(CameraTeacher(camera_id=cams["cam_available"].id, user_id=alice))
    own = Course(code="OWN", name="Alice's", timezone="UTC", teacher_id=alice,
                 camera_id=cams["cam_filming"].id)
    other = Course(code="OTHER", name="Bob's", timezone="UTC", teacher_id=bob)
    nobody = Course(code="NOBODY", name="Unassigned", timezone="UTC")
    session.add_all([own, other, nobody])
    session.flush()
    sessions = {name: ClassSession(course_id=c.id, starts_at=START,
                                   ends_at=START + timedelta(hours=1))
                for name, c in (("session_own", own), ("session_other", other))}
    session.add_all(sessions.values())
    students = {n: Student(student_number=n, display_name=n)
                for n in ("sole", "shared", "former", "unrelated")}
    session.add_all(students.values())
    session.flush()
    session.add_all([
        Enrollment(course_id=own.id, student_id=students["sole"].id),
        Enrollment(course_id=own.id, student_id=students["shared"].id),
        Enrollment(course_id=other.id, student_id=students["shared"].id),
        Enrollment(course_id=other.id, student_id=students["unrelated"].id),
        AttendanceRecord(class_session_id=sessions["session_own"].id,
                         student_id=students["former"].id, status="present", source="manual"),
    ])
    session.flush()
    objects: dict[str, Course | ClassSession | Student | Camera] = {
        "course_own": own, "course_other": other, "course_nobody": nobody,
        **sessions, **students, **cams}
    relations = {
        "course_own": (R.OWN_COURSE, R.OTHER_COURSE),
        "course_other": (R.OTHER_COURSE, R.OWN_COURSE),
        "course_nobody": (R.OTHER_COURSE, R.OTHER_COURSE),
        "session_own": (R.OWN_COURSE, R.OTHER_COURSE),
        "session_other": (R.OTHER_COURSE, R.OWN_COURSE),
        "sole": (R.SOLE_ROSTER, R.UNRELATED),
        "shared": (R.SHARED_ROSTER, R.SHARED_ROSTER),
        "former": (R.FORMER, R.UNRELATED),
        "unrelated": (R.UNRELATED, R.SOLE_ROSTER),
        "cam_available": (R.AVAILABLE, R.UNAVAILABLE),
        "cam_filming": (R.ON_OWN_COURSE, R.UNAVAILABLE),
        "cam_unavailable": (R.UNAVAILABLE, R.UNAVAILABLE),
    }
    return World(Actor(users["admin"].id, is_admin=True), Actor(alice), Actor(bob), objects,
                 relations)


_KIND = {Subject.COURSE: Course, Subject.SESSION: ClassSession, Subject.STUDENT: Student,
         Subject.CAMERA: Camera}


@pytest.fixture
def world(db_session: Session) -> World:
    return _world(db_session)


def test_every_relation_is_read_from_the_rows(db_session: Session, world: World) -> None:
    for name, obj in world.objects.items():
        subject = next(s for s, kind in _KIND.items() if isinstance(obj, kind))
        for who, expected in zip((world.alice, world.bob), world.relations[name], strict=True):
            assert access.relation_to(db_session, who, subject, obj) is expected, (name, who)
    # Every relation of every subject occurs in the world, so every cell is exercised below.
    seen = {r for pair in world.relations.values() for r in pair}
    assert seen == {r for s, rs in RELATIONS.items() if s is not Subject.NOTHING for r in rs}


@pytest.mark.parametrize("action", list(Action), ids=str)
def test_every_cell_on_real_rows(db_session: Session, world: World, action: Action) -> None:
    """Admin, the teacher in each relation, and the other teacher: ``may`` and ``require``
    (NotFound where the object may not even be seen, PermissionDenied where it may)."""
    targets = ([None] if action.subject is Subject.NOTHING else
               [n for n, o in world.objects.items() if isinstance(o, _KIND[action.subject])])
    view = access.rules.VIEW_ACTION.get(action.subject)
    for name in targets:
        obj = None if name is None else world.objects[name]
        assert access.may(db_session, world.admin, action, obj)
        access.require(db_session, world.admin, action, obj)
        assert access.may(db_session, None, action, obj)  # the operator
        pairs = ((R.ANYONE, R.ANYONE) if name is None else world.relations[name])
        for who, relation in zip((world.alice, world.bob), pairs, strict=True):
            expected = SPEC[action][relation]
            assert access.may(db_session, who, action, obj) is expected, (name, relation)
            if expected:
                access.require(db_session, who, action, obj)
                continue
            hidden = view is not None and not SPEC[view][relation]
            with pytest.raises(NotFound if hidden else PermissionDenied):
                access.require(db_session, who, action, obj)


def test_lists_agree_with_the_per_object_answers(db_session: Session, world: World) -> None:
    for who in (world.admin, world.alice, world.bob):
        courses = {c.id for c in access.visible_courses(db_session, who)}
        cameras = {c.id for c in access.visible_cameras(db_session, who)}
        usable = {c.id for c in access.usable_cameras(db_session, who)}
        condition = access.listed_students(who)
        query = select(Student.id)
        listed = set(db_session.scalars(
            query.where(condition) if condition is not None else query))
        seeable = access.viewable_students(who)
        viewable = set(db_session.scalars(
            query.where(seeable) if seeable is not None else query))
        for obj in world.objects.values():
            if isinstance(obj, Course):
                assert (obj.id in courses) is access.may(
                    db_session, who, Action.VIEW_COURSE, obj)
            if isinstance(obj, Camera):
                assert (obj.id in cameras) is access.may(
                    db_session, who, Action.VIEW_CAMERA, obj)
                assert (obj.id in usable) is access.may(db_session, who, Action.USE_CAMERA, obj)
            if isinstance(obj, Student):
                assert (obj.id in listed) is access.may(
                    db_session, who, Action.LIST_STUDENT, obj)
                assert (obj.id in viewable) is access.may(
                    db_session, who, Action.VIEW_STUDENT, obj)
        scope = access.course_scope(db_session, who)
        assert scope is None if who.is_admin else set(scope or []) == courses


def test_consent_scope_only_own_courses_for_a_teacher(db_session: Session, world: World) -> None:
    own, other = world.objects["course_own"].id, world.objects["course_other"].id
    alice = world.alice
    assert access.may_consent_for(db_session, alice, [own])
    assert not access.may_consent_for(db_session, alice, [other])
    assert not access.may_consent_for(db_session, alice, [own, other])
    assert not access.may_consent_for(db_session, alice, None)  # all courses: admins
    assert not access.may_consent_for(db_session, alice, [999_999])
    assert access.may_consent_for(db_session, world.admin, None)
    with pytest.raises(PermissionDenied, match="all courses"):
        access.require_consent_scope(db_session, alice, None)
    with pytest.raises(NotFound):
        access.require_consent_scope(db_session, alice, [other])


def test_student_course_scope_is_own_courses_with_roster_or_marks(
    db_session: Session, world: World
) -> None:
    own = world.objects["course_own"].id
    ids = {n: world.objects[n].id for n in ("sole", "shared", "former", "unrelated")}
    assert access.student_course_scope(db_session, world.admin, ids["sole"]) is None
    assert access.student_course_scope(db_session, world.alice, ids["sole"]) == [own]
    assert access.student_course_scope(db_session, world.alice, ids["former"]) == [own]
    assert access.student_course_scope(db_session, world.alice, ids["unrelated"]) == []
