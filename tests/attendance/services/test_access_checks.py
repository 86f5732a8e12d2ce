"""Services that write check the access policy again (``by=``), whoever calls them: a view
that forgot its check still cannot change another teacher's things."""

from __future__ import annotations

import ast
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from attendance.access import Actor
from attendance.db import Camera, CameraTeacher, Enrollment, Role, User
from attendance.errors import NotFound, PermissionDenied
from attendance.services.camera_access import make_camera_available, withdraw_camera
from attendance.services.checkin import close_checkin_code, open_checkin_code
from attendance.services.consent import give_consent, withdraw_consent
from attendance.services.courses import create_course, update_course
from attendance.services.oversight import confirm_session
from attendance.services.records import override_attendance
from attendance.services.roster import add_to_roster, remove_from_roster
from attendance.services.roster_import import ImportRow, apply_roster_import
from attendance.services.schedule import materialize_sessions
from attendance.services.students import update_student

from .factories import add_course_with_session

NOW = datetime(2024, 3, 4, 8, 30, tzinfo=UTC)


def _teachers(session: Session) -> tuple[Actor, Actor, Actor]:
    users = [User(username=n, role=r.value, password_hash="x")
             for n, r in (("admin", Role.ADMIN), ("alice", Role.TEACHER), ("bob", Role.TEACHER))]
    session.add_all(users)
    session.flush()
    return Actor(users[0].id, is_admin=True), Actor(users[1].id), Actor(users[2].id)


@pytest.fixture
def setup(db_session: Session) -> dict[str, Any]:
    admin, alice, bob = _teachers(db_session)
    course, class_session, roster = add_course_with_session(db_session, code="BOB1", students=2)
    course.teacher_id = bob.id
    own, _own_session, _ = add_course_with_session(db_session, code="ALICE1")
    own.teacher_id = alice.id
    camera = Camera(name="cam", source="0")
    db_session.add(camera)
    db_session.flush()
    return {"admin": admin, "alice": alice, "bob": bob, "course": course, "own": own,
            "class_session": class_session, "roster": roster, "camera": camera}


def test_every_write_refuses_another_teacher(db_session: Session,
                                             setup: dict[str, Any]) -> None:
    alice = setup["alice"]
    course, class_session = setup["course"], setup["class_session"]
    student = setup["roster"][0]
    refused: list[Callable[[], object]] = [
        lambda: add_to_roster(db_session, course.id, student_ids=[student.id], by=alice),
        lambda: remove_from_roster(db_session, course.id, student_ids=[student.id], by=alice),
        lambda: update_course(db_session, course.code, name="Hijacked", by=alice),
        lambda: materialize_sessions(db_session, course.id, date(2024, 3, 4), date(2024, 3, 10),
                                     by=alice),
        lambda: override_attendance(db_session, class_session_id=class_session.id,
                                    student_id=student.id, status="present", reason="x",
                                    actor="alice", by=alice),
        lambda: confirm_session(db_session, class_session.id, actor="alice", now=NOW,
                                by=alice),
        lambda: open_checkin_code(db_session, class_session.id, actor="alice", now=NOW,
                                  minutes=5, by=alice),
        lambda: close_checkin_code(db_session, class_session.id, actor="alice", now=NOW,
                                   by=alice),
        lambda: give_consent(db_session, student.id, given_by="x", notice_version="1",
                             course_ids=[course.id], actor="alice", by=alice),
        lambda: withdraw_consent(db_session, student.id, actor="alice", by=alice),
        lambda: update_student(db_session, student.id, display_name="Hijacked", email=None,
                               actor="alice", by=alice),
    ]
    for call in refused:
        with pytest.raises((NotFound, PermissionDenied)):
            call()
    assert course.name == "Course BOB1"
    assert student.display_name == "Student BOB1-000"


def test_a_teacher_records_consent_only_for_own_courses(
    db_session: Session, setup: dict[str, Any]
) -> None:
    alice, own, course = setup["alice"], setup["own"], setup["course"]
    student = setup["roster"][0]  # on Bob's roster, consenting for all courses (factory)
    add_to_roster(db_session, own.id, student_ids=[student.id], by=alice)  # now shared
    with pytest.raises(PermissionDenied, match="all courses"):
        give_consent(db_session, student.id, given_by="x", notice_version="1",
                     actor="alice", by=alice)
    with pytest.raises(NotFound):
        give_consent(db_session, student.id, given_by="x", notice_version="1",
                     course_ids=[own.id, course.id], actor="alice", by=alice)
    with pytest.raises(PermissionDenied, match="all courses"):
        withdraw_consent(db_session, student.id, actor="alice", by=alice)
    mine = give_consent(db_session, student.id, given_by="x", notice_version="1",
                        course_ids=[own.id], actor="alice", by=alice)
    assert withdraw_consent(db_session, student.id, consent_id=mine.id, actor="alice",
                            by=alice) == [mine]
    with pytest.raises(PermissionDenied):
        update_student(db_session, student.id, display_name="X", email=None, actor="alice",
                       by=alice)


def test_cameras_teachers_and_courses(db_session: Session, setup: dict[str, Any]) -> None:
    admin, alice, bob, camera = setup["admin"], setup["alice"], setup["bob"], setup["camera"]
    own = setup["own"]
    with pytest.raises(PermissionDenied):
        make_camera_available(db_session, camera.id, alice.id, actor="alice", by=alice)
    with pytest.raises(NotFound):
        update_course(db_session, own.code, camera_name="cam", by=alice)
    with pytest.raises(NotFound):  # a camera not offered to her is not hers to see
        create_course(db_session, code="NEW", name="n", timezone="UTC", camera_name="cam",
                      teacher_id=alice.id, by=alice)
    with pytest.raises(PermissionDenied, match="choose the teacher"):
        create_course(db_session, code="NEW", name="n", timezone="UTC", teacher_id=bob.id,
                      by=alice)
    with pytest.raises(PermissionDenied, match="choose the teacher"):
        update_course(db_session, own.code, teacher_id=bob.id, by=alice)
    assert make_camera_available(db_session, camera.id, alice.id, actor="admin", by=admin)
    assert not make_camera_available(db_session, camera.id, alice.id, actor="admin", by=admin)
    assert db_session.get(CameraTeacher, (camera.id, alice.id)) is not None
    assert update_course(db_session, own.code, camera_name="cam", by=alice).camera_id == camera.id
    created = create_course(db_session, code="NEW", name="n", timezone="UTC",
                            camera_name="cam", teacher_id=alice.id, by=alice)
    assert created.teacher_id == alice.id
    assert withdraw_camera(db_session, camera.id, alice.id, actor="admin", by=admin)
    # Kept where it is, not chosen anew.
    assert update_course(db_session, own.code, camera_name="cam", name="Kept",
                         by=alice).camera_id == camera.id
    update_course(db_session, own.code, camera_name=None, by=alice)
    with pytest.raises(PermissionDenied):  # she sees it (course NEW films with it), no more
        update_course(db_session, own.code, camera_name="cam", by=alice)


def test_roster_import_names_only_own_courses(db_session: Session,
                                              setup: dict[str, Any]) -> None:
    alice, own, course = setup["alice"], setup["own"], setup["course"]
    rows = [ImportRow(2, "N1", "New One", "", course.code)]
    with pytest.raises(Exception, match="row\\(s\\) have errors"):
        apply_roster_import(db_session, rows, actor="alice", by=alice)
    summary = apply_roster_import(db_session, [ImportRow(2, "N1", "New One", "", own.code)],
                                  actor="alice", by=alice)
    assert (summary.students_created, summary.courses) == (1, (own.code,))
    assert db_session.query(Enrollment).filter_by(course_id=own.id).count() == 1


def test_every_webui_call_of_a_writing_service_says_who_asks() -> None:
    """The services check again only when told who asks: every call from the dashboard of a
    service taking ``by`` passes it (a call without it would act as the operator)."""
    services = {"add_to_roster", "remove_from_roster", "create_course", "update_course",
                "materialize_sessions", "override_attendance", "confirm_session",
                "open_checkin_code", "close_checkin_code", "give_consent", "withdraw_consent",
                "update_student", "make_camera_available", "withdraw_camera",
                "confirm_sighting", "reject_sighting", "apply_roster_import",
                "plan_roster_import", "enroll_student", "EnrollmentRequest",
                "confirm_group", "reject_group"}
    root = Path(__file__).resolve().parents[3] / "webui"
    calls, missing = 0, []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in services:
                calls += 1
                if "by" not in {k.arg for k in node.keywords}:
                    missing.append(f"{path.relative_to(root)}:{node.lineno} {name}")
    assert calls >= 20
    assert missing == []

