"""Check-in codes: opening, the student's check-in with the manual-mark rules, refusals."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from attendance.db import AuditLog, CheckinCode
from attendance.errors import Conflict, InvalidInput
from attendance.services.checkin import (
    CHECKIN_REASON,
    NO_MATCH,
    check_in,
    close_checkin_code,
    current_code,
    open_checkin_code,
)
from attendance.services.oversight import confirm_session
from attendance.services.records import count_sighting, override_attendance, records_for_session

from .factories import add_course_with_session, add_student

START = datetime(2024, 3, 4, 8, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


def test_open_code_is_six_digits_capped_at_the_end_and_audited(db_session: Session) -> None:
    _course, cs, _ = add_course_with_session(db_session, minutes=90)
    row = open_checkin_code(db_session, cs.id, actor="alice", now=at(-5), minutes=10)
    assert re.fullmatch(r"[0-9]{6}", row.code)
    assert row.expires_at == at(5)
    late = open_checkin_code(db_session, cs.id, actor="alice", now=at(85), minutes=10)
    assert late.id == row.id  # reopening replaces the session's one code
    assert late.expires_at == at(90)  # never past the session's end
    assert current_code(db_session, cs.id, at(89)) is not None
    assert current_code(db_session, cs.id, at(90)) is None
    actions = db_session.scalars(select(AuditLog.action).where(
        AuditLog.action.like("checkin.%"))).all()
    assert actions == ["checkin.open", "checkin.open"]
    with pytest.raises(InvalidInput, match="has ended"):
        open_checkin_code(db_session, cs.id, actor="alice", now=at(90), minutes=10)


def test_check_in_marks_present_then_late_as_manual(db_session: Session) -> None:
    _course, cs, (ann, bob) = add_course_with_session(db_session, students=2,
                                                      late_after_minutes=10)
    code = open_checkin_code(db_session, cs.id, actor="alice", now=at(0), minutes=30).code

    first = check_in(db_session, student_number=ann.student_number, code=code, now=at(2))
    second = check_in(db_session, student_number=f" {bob.student_number} ",
                      code=f"{code[:3]} {code[3:]}", now=at(12))
    again = check_in(db_session, student_number=ann.student_number, code=code, now=at(20))

    assert (first.status, first.already) == ("present", False)
    assert (second.status, second.already) == ("late", False)
    assert (again.status, again.already) == ("present", True)
    records = {r.student_id: r for r in records_for_session(db_session, cs.id)}
    assert {(r.status, r.source, r.reason) for r in records.values()} == {
        ("present", "manual", CHECKIN_REASON), ("late", "manual", CHECKIN_REASON)}
    assert records[ann.id].updated_by == f"checkin:{ann.student_number}"
    # Like any manual mark, the camera never changes it.
    count_sighting(db_session, class_session_id=cs.id, student_id=bob.id, seen_at=at(1),
                   min_sightings=1)
    db_session.refresh(records[bob.id])
    assert records[bob.id].status == "late"
    audits = db_session.scalars(select(AuditLog).where(
        AuditLog.action == "attendance.override")).all()
    assert sorted(a.actor for a in audits) == sorted(
        f"checkin:{s.student_number}" for s in (ann, bob))


def test_camera_mark_is_replaced_but_teacher_mark_is_not(db_session: Session) -> None:
    _course, cs, (ann, bob) = add_course_with_session(db_session, students=2)
    code = open_checkin_code(db_session, cs.id, actor="alice", now=at(0), minutes=30).code
    count_sighting(db_session, class_session_id=cs.id, student_id=ann.id, seen_at=at(1),
                   min_sightings=2)  # provisional "absent" from the camera
    override_attendance(db_session, class_session_id=cs.id, student_id=bob.id,
                        status="excused", reason="sick note", actor="alice")

    assert check_in(db_session, student_number=ann.student_number, code=code,
                    now=at(3)).status == "present"
    with pytest.raises(Conflict, match="already recorded"):
        check_in(db_session, student_number=bob.student_number, code=code, now=at(3))
    statuses = {r.student_id: r.status for r in records_for_session(db_session, cs.id)}
    assert statuses == {ann.id: "present", bob.id: "excused"}


@pytest.mark.parametrize("case", ["unknown", "wrong-code", "not-digits", "expired", "closed",
                                  "off-roster", "inactive"])
def test_every_wrong_input_gets_the_same_answer(db_session: Session, case: str) -> None:
    _course, cs, (ann,) = add_course_with_session(db_session, students=1)
    stranger = add_student(db_session, "X-999")
    code = open_checkin_code(db_session, cs.id, actor="alice", now=at(0), minutes=10).code
    number, given, now = ann.student_number, code, at(1)
    if case == "unknown":
        number = "NOPE-1"
    elif case == "wrong-code":
        given = f"{(int(code) + 1) % 10**6:06d}"
    elif case == "not-digits":
        given = "12a456"
    elif case == "expired":
        now = at(10)
    elif case == "closed":
        assert close_checkin_code(db_session, cs.id, actor="alice", now=at(0.5))
    elif case == "off-roster":
        number = stranger.student_number
    elif case == "inactive":
        ann.active = False
        db_session.flush()
    with pytest.raises(InvalidInput) as refused:
        check_in(db_session, student_number=number, code=given, now=now)
    assert str(refused.value) == NO_MATCH
    assert records_for_session(db_session, cs.id) == []


def test_confirmed_session_takes_no_check_in(db_session: Session) -> None:
    _course, cs, (ann,) = add_course_with_session(db_session, students=1, minutes=30)
    code = open_checkin_code(db_session, cs.id, actor="alice", now=at(25), minutes=10).code
    row = db_session.scalars(select(CheckinCode)).one()
    row.expires_at = at(40)  # pretend it outlived the session
    confirm_session(db_session, cs.id, actor="alice", now=at(30))
    with pytest.raises(Conflict, match="confirmed"):
        check_in(db_session, student_number=ann.student_number, code=code, now=at(31))
    with pytest.raises(Conflict):
        open_checkin_code(db_session, cs.id, actor="alice", now=at(20), minutes=5)
