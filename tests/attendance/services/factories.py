"""Small builders for service tests: rows the services under test need to exist."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from attendance.db import ClassSession, Consent, Course, Enrollment, Student


def add_student(session: Session, number: str, name: str | None = None, *,
                consent: bool = True) -> Student:
    """A student with ``number``, flushed so it has an id, who consents to face recognition
    for all courses unless ``consent`` is false."""
    student = Student(student_number=number, display_name=name or f"Student {number}")
    session.add(student)
    session.flush()
    if consent:
        session.add(Consent(student_id=student.id, given_by=student.display_name,
                            relation="student", notice_version="1", recorded_by="test"))
        session.flush()
    return student


def add_course_with_session(
    session: Session,
    *,
    code: str = "CS101",
    late_after_minutes: int = 10,
    starts_at: datetime = datetime(2024, 3, 4, 8, 0, tzinfo=UTC),
    minutes: int = 90,
    students: int = 0,
    consent: bool = True,
) -> tuple[Course, ClassSession, list[Student]]:
    """A course (UTC zone) with one ad-hoc session and ``students`` rostered students (who
    consent to face recognition unless ``consent`` is false)."""
    course = Course(
        code=code, name=f"Course {code}", timezone="UTC", late_after_minutes=late_after_minutes
    )
    session.add(course)
    session.flush()
    class_session = ClassSession(
        course_id=course.id, starts_at=starts_at, ends_at=starts_at + timedelta(minutes=minutes)
    )
    session.add(class_session)
    roster = [add_student(session, f"{code}-{i:03d}", consent=consent) for i in range(students)]
    session.add_all(Enrollment(course_id=course.id, student_id=s.id) for s in roster)
    session.flush()
    return course, class_session, roster
