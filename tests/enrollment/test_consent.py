"""enroll_student records consent: one Consent row per act of giving it, history kept."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from attendance.config import Settings
from attendance.db import Consent
from attendance.matching import load_gallery
from attendance.services.consent import withdraw_consent
from enrollment import PhotoUpload, enroll_student
from tests.lfw_faces import CachingEmbedder, LfwFaces

pytestmark = pytest.mark.lfw


def test_enrollment_records_consent_once_and_again_after_withdrawal(
    db_session: Session, settings: Settings, lfw: LfwFaces, dlib_embedder: CachingEmbedder,
) -> None:
    photo = PhotoUpload("a.jpg", lfw.jpeg("George_W_Bush", 1))
    result = enroll_student(db_session, settings, [dlib_embedder], student_number="S1",
                            display_name="George", consent_by="registrar", photos=[photo],
                            consent_given_by="Laura", consent_relation="guardian",
                            notice_version="7")
    assert result.student_id is not None
    consent = db_session.scalars(select(Consent)).one()
    assert (consent.given_by, consent.relation, consent.notice_version, consent.all_courses,
            consent.recorded_by) == ("Laura", "guardian", "7", True, "registrar")
    versions = {dlib_embedder.name: dlib_embedder.version}
    assert load_gallery(db_session, None, versions)["dlib"].students.tolist() == [
        result.student_id]
    # Adding a photo while consent is active records nothing new.
    enroll_student(db_session, settings, [dlib_embedder], student_number="S1",
                   consent_by="registrar", photos=[PhotoUpload("b.jpg",
                                                               lfw.jpeg("George_W_Bush", 2))])
    assert len(db_session.scalars(select(Consent)).all()) == 1
    withdraw_consent(db_session, result.student_id, actor="registrar")
    assert load_gallery(db_session, None, versions)["dlib"].students.size == 0
    # Enrolling again asserts consent anew: a second row, defaults from the settings.
    enroll_student(db_session, settings, [dlib_embedder], student_number="S1",
                   consent_by="registrar", photos=[photo])
    rows = db_session.scalars(select(Consent).order_by(Consent.id)).all()
    assert [(r.given_by, r.notice_version, r.active) for r in rows] == [
        ("Laura", "7", False), ("George", settings.consent_notice_version, True)]
    assert load_gallery(db_session, None, versions)["dlib"].students.tolist() == [
        result.student_id]
