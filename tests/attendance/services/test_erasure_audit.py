"""Erasure keeps the audit trail but not the person: every entry stays, the erased student's
number, name, email and photo hashes are replaced by one stable pseudonym, and their id is
never given to anyone else."""

from __future__ import annotations

import json
from unittest import mock

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from attendance.config import Settings
from attendance.db import AuditLog, Enrollment, Student, audit_guard
from attendance.services.audit import record_audit
from attendance.services.audit_pseudonyms import PSEUDONYM_PREFIX
from attendance.services.consent import give_consent
from attendance.services.erasure import erase_student
from attendance.services.records import override_attendance

from .factories import add_course_with_session, add_student

HASH_A = "a1" * 32
HASH_B = "b2" * 32
IDENTIFYING = ("S1001", "Ada", "Lovelace", "ada@school.edu", HASH_A, HASH_B, "Mrs Byron",
               "ada_front")


def _history(factory: sessionmaker[Session]) -> tuple[int, int]:
    """Ada's life in the audit log, with Bob (S10011) around her; returns their ids."""
    with factory.begin() as session:
        course, class_session, _ = add_course_with_session(session)
        ada = add_student(session, "S1001", "Ada Lovelace", consent=False)
        ada.email = "ada@school.edu"
        bob = add_student(session, "S10011", "Bob Ada-Smith")
        session.add(Enrollment(course_id=course.id, student_id=ada.id))
        record_audit(session, actor="teacher", action="student.enroll", target_type="student",
                     target_id=ada.id, details={
                         "student_number": "S1001", "created": True,
                         "accepted": [HASH_A, HASH_B], "skipped": 0,
                         "rejected": [{"file": "ada_front.png", "reason": "several_faces"}]})
        give_consent(session, ada.id, given_by="Mrs Byron", relation="guardian",
                     notice_version="1", actor="teacher")
        override_attendance(session, class_session_id=class_session.id, student_id=ada.id,
                            status="excused", reason="Ada was ill (note from Mrs Byron)",
                            actor="checkin:S1001")
        record_audit(session, actor="teacher", action="student.enroll.duplicate_override",
                     target_type="student", target_id=bob.id, details={
                         "photo_id": 7, "looks_like": "S1001",
                         "message": "b.jpg of Bob Ada-Smith: accepted although it looks like "
                                    "student S1001 (Ada Lovelace, distance 0.30) (duplicate "
                                    "check overridden)"})
        record_audit(session, actor="teacher", action="export.download",
                     details={"file": "CS101_2024-03-04.csv", "rows": 2, "note": "S10011 only"})
        return ada.id, bob.id


def _dump(session: Session) -> list[str]:
    return [f"{e.actor} {json.dumps(e.details, ensure_ascii=False)}"
            for e in session.scalars(select(AuditLog).order_by(AuditLog.id))]


def test_erasure_pseudonymises_the_audit_log_and_keeps_every_entry(
    session_factory: sessionmaker[Session], settings: Settings,
) -> None:
    ada, bob = _history(session_factory)
    with session_factory() as session:
        before = _dump(session)
        ids_before = session.scalars(select(AuditLog.id).order_by(AuditLog.id)).all()
    with session_factory.begin() as session:
        report = erase_student(session, settings, ada, actor="admin")
    pseudonym = report.pseudonym
    assert pseudonym.startswith(PSEUDONYM_PREFIX)
    with session_factory() as session:
        after = _dump(session)
        entries = session.scalars(select(AuditLog).order_by(AuditLog.id)).all()
    assert [e.id for e in entries][: len(ids_before)] == ids_before  # every entry is still there
    assert len(entries) == len(before) + 1  # plus the erasure's own
    text = "\n".join(after)
    assert "Bob Ada-Smith" in text  # nobody else was touched
    assert "S10011" in text
    others_removed = text.replace("Bob Ada-Smith", "").replace("S10011", "")
    for personal in IDENTIFYING:
        assert personal not in others_removed, personal
    by_action = {e.action: e for e in entries}
    assert by_action["student.enroll"].details["accepted"] == [pseudonym, pseudonym]
    assert by_action["student.enroll"].details["rejected"][0]["reason"] == "several_faces"
    assert by_action["consent.give"].details["given_by"] == pseudonym
    assert by_action["consent.give"].details["relation"] == "guardian"
    assert by_action["attendance.override"].actor == f"checkin:{pseudonym}"
    assert by_action["attendance.override"].details["reason"] == (
        f"{pseudonym} was ill (note from {pseudonym})")
    assert by_action["student.enroll.duplicate_override"].details["looks_like"] == pseudonym
    assert by_action["export.download"].details["note"] == "S10011 only"
    assert by_action["student.delete"].details["student"] == pseudonym
    assert by_action["student.delete"].details["audit_entries"] == report.audit_entries == 4
    assert by_action["student.delete"].target_id == ada
    assert bob != ada


def test_the_guard_is_back_after_an_erasure_and_stays_narrow_during_it(
    session_factory: sessionmaker[Session], settings: Settings,
) -> None:
    ada, _ = _history(session_factory)
    forged = update(AuditLog).values(action="forged")
    real_rewrite = audit_guard._rewrite  # noqa: SLF001 - the step inside the lifted guard

    def also_forge(session: Session, entries: object) -> None:
        real_rewrite(session, entries)  # type: ignore[arg-type]
        session.execute(forged)

    with session_factory() as session, mock.patch.object(audit_guard, "_rewrite", also_forge):
        with pytest.raises(DBAPIError, match="append-only"):
            erase_student(session, settings, ada, actor="admin")
        session.rollback()
    with session_factory.begin() as session:
        erase_student(session, settings, ada, actor="admin")
    for statement in (forged, update(AuditLog).values(details={}),
                      update(AuditLog).values(actor="someone")):
        with session_factory() as session, pytest.raises(DBAPIError, match="append-only"):
            session.execute(statement)


def test_an_erased_students_id_is_never_given_again(
    session_factory: sessionmaker[Session], settings: Settings,
) -> None:
    with session_factory.begin() as session:
        first = add_student(session, "T1", "First Person").id
    with session_factory.begin() as session:
        erase_student(session, settings, first, actor="admin")
    with session_factory.begin() as session:
        second = add_student(session, "T2", "Second Person").id
        assert session.scalar(select(func.count()).select_from(Student)) == 1
    assert second != first
    with session_factory() as session:
        targets = session.scalars(select(AuditLog.target_id).where(
            AuditLog.action == "student.delete")).all()
    assert targets == [first]  # the old entry can never be read as being about T2
