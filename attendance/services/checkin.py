"""Check-in codes: a non-biometric path of equal standing to the camera.

A teacher opens a code for a class session (six random digits, valid for
``checkin_code_minutes`` but never past the session's end) and shows it in class; each
student enters their student number and the code on the public ``/checkin`` page.

A check-in is recorded exactly like a teacher's manual mark (``source = manual``, so the camera
never changes it) with the reason :data:`CHECKIN_REASON` and the actor
``checkin:<student number>``, through :func:`~.records.override_attendance`, which writes the
``attendance.override`` audit entry. The status follows the camera's rule: ``late`` when the
check-in comes later than the start plus the course's ``late_after_minutes``, else
``present``. A mark a teacher already set by hand is never replaced by a check-in, and a
confirmed session takes no check-ins.

Every refusal caused by a wrong number or code gives the same message
(:data:`NO_MATCH`), so the page reveals neither which students exist nor which codes are open.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import access
from ..access import Action, Principal
from ..db import AttendanceRecord, CheckinCode, ClassSession, Enrollment, Source, Status, Student
from ..errors import Conflict, InvalidInput, NotFound
from ..messages import N_
from .audit import record_audit
from .records import override_attendance

#: The reason stored on records marked by a check-in code.
CHECKIN_REASON = "check-in code"
#: The one answer for an unknown student number, a wrong, expired or closed code, or a
#: student not on the roster of the code's session.
NO_MATCH = N_("That student number and code do not match an open check-in. Check both and "
              "try again, or ask your teacher.")
#: Refusals a student or teacher reads (the dashboard shows them in the reader's language).
SESSION_CONFIRMED = N_("your teacher has confirmed this session's attendance; ask them")
ALREADY_MARKED = N_("your teacher has already recorded your attendance for this session")
SESSION_ENDED = N_("this session has ended; mark late arrivals by hand instead")
MARKS_CONFIRMED = N_("this session's marks are confirmed; it takes no more check-ins")
_CODE = re.compile(r"[0-9]{6}")


@dataclass(frozen=True)
class CheckinResult:
    """A successful check-in: the mark given, and whether it had been given already."""

    class_session_id: int
    student_id: int
    status: str
    already: bool


def open_checkin_code(
    session: Session,
    class_session_id: int,
    *,
    actor: str,
    now: datetime,
    minutes: int,
    user_id: int | None = None,
    by: Principal | None = None,
) -> CheckinCode:
    """Open (or replace) the session's check-in code, valid ``minutes`` from ``now`` but not
    past the session's end. Refused for a session that has ended or is confirmed. Audited as
    ``checkin.open`` (the code itself is not logged). ``by`` (None: the operator) must be
    allowed to change the session (``attendance.access``)."""
    access.load_class_session(session, by, Action.CHANGE_SESSION, class_session_id)
    if minutes < 1:
        raise InvalidInput("a check-in code must be valid for at least 1 minute, not %(minutes)s",
                           minutes=minutes)
    class_session = _class_session(session, class_session_id)
    if now >= class_session.ends_at:
        raise InvalidInput(SESSION_ENDED)
    if class_session.confirmed_at is not None:
        raise Conflict(MARKS_CONFIRMED)
    expires = min(now + timedelta(minutes=minutes), class_session.ends_at)
    row = session.scalar(
        select(CheckinCode).where(CheckinCode.class_session_id == class_session_id)
    )
    code = _fresh_code(session, now)
    if row is None:
        row = CheckinCode(class_session_id=class_session_id, code=code, opened_at=now,
                          expires_at=expires, opened_by=actor)
        session.add(row)
    else:
        row.code, row.opened_at, row.expires_at, row.opened_by = code, now, expires, actor
    session.flush()
    record_audit(session, actor=actor, action="checkin.open", target_type="class_session",
                 target_id=class_session_id, user_id=user_id,
                 details={"expires_at": expires.isoformat()})
    return row


def close_checkin_code(
    session: Session, class_session_id: int, *, actor: str, now: datetime,
    user_id: int | None = None, by: Principal | None = None,
) -> bool:
    """End the session's code now; False when none was open. Audited as ``checkin.close``.
    ``by`` (None: the operator) must be allowed to change the session."""
    access.load_class_session(session, by, Action.CHANGE_SESSION, class_session_id)
    row = current_code(session, class_session_id, now)
    if row is None:
        return False
    row.expires_at = now
    record_audit(session, actor=actor, action="checkin.close", target_type="class_session",
                 target_id=class_session_id, user_id=user_id)
    session.flush()
    return True


def current_code(session: Session, class_session_id: int, now: datetime) -> CheckinCode | None:
    """The session's code if it is open at ``now``."""
    return session.scalar(
        select(CheckinCode).where(CheckinCode.class_session_id == class_session_id,
                                  CheckinCode.opened_at <= now, CheckinCode.expires_at > now)
    )


def check_in(session: Session, *, student_number: str, code: str, now: datetime) -> CheckinResult:
    """Mark the student ``student_number`` present (or late) in the session whose open code
    is ``code``. Raises :class:`InvalidInput` with :data:`NO_MATCH` for any wrong input,
    :class:`Conflict` when a teacher already marked the student by hand or the session is
    confirmed. Checking in twice returns the first mark (``already``)."""
    number, code = student_number.strip(), code.strip().replace(" ", "")
    if not number or len(number) > 64 or not _CODE.fullmatch(code):
        raise InvalidInput(NO_MATCH)
    student = session.scalar(
        select(Student).where(Student.student_number == number, Student.active.is_(True))
    )
    if student is None:
        raise InvalidInput(NO_MATCH)
    class_session = session.scalar(
        select(ClassSession)
        .join(CheckinCode, CheckinCode.class_session_id == ClassSession.id)
        .join(Enrollment, Enrollment.course_id == ClassSession.course_id)
        .where(CheckinCode.code == code, CheckinCode.opened_at <= now,
               CheckinCode.expires_at > now, Enrollment.student_id == student.id)
    )
    if class_session is None:
        raise InvalidInput(NO_MATCH)
    if class_session.confirmed_at is not None:
        raise Conflict(SESSION_CONFIRMED)
    existing = session.scalar(
        select(AttendanceRecord).where(AttendanceRecord.class_session_id == class_session.id,
                                       AttendanceRecord.student_id == student.id)
    )
    if existing is not None and existing.source == Source.MANUAL:
        if existing.reason == CHECKIN_REASON:
            return CheckinResult(class_session.id, student.id, existing.status, True)
        raise Conflict(ALREADY_MARKED)
    late_from = class_session.starts_at + timedelta(
        minutes=class_session.course.late_after_minutes)
    status = Status.LATE if now > late_from else Status.PRESENT
    record = override_attendance(
        session, class_session_id=class_session.id, student_id=student.id, status=status,
        reason=CHECKIN_REASON, actor=f"checkin:{number}",
    )
    return CheckinResult(class_session.id, student.id, record.status, False)


def _class_session(session: Session, class_session_id: int) -> ClassSession:
    row = session.get(ClassSession, class_session_id)
    if row is None:
        raise NotFound("no class session with id %(class_session_id)s",
                       class_session_id=class_session_id)
    return row


def _fresh_code(session: Session, now: datetime) -> str:
    """Six random digits not open for another session at ``now`` (so a code names one
    session; with 10^6 codes a clash is rare and a few draws always suffice)."""
    for _ in range(20):
        code = f"{secrets.randbelow(10**6):06d}"
        clash = session.scalar(
            select(CheckinCode.id).where(CheckinCode.code == code, CheckinCode.expires_at > now)
        )
        if clash is None:
            return code
    raise Conflict("could not draw a free check-in code; try again")  # pragma: no cover


__all__ = [
    "CHECKIN_REASON",
    "NO_MATCH",
    "CheckinResult",
    "check_in",
    "close_checkin_code",
    "current_code",
    "open_checkin_code",
]
