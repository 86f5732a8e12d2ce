"""The privacy page, consent on the student page, and the audit of sign-in and export."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from attendance.db import AuditLog, Consent
from attendance.services.consent import has_consent
from enrollment import EnrollmentRequest
from webui.students import views

from .conftest import AuthActions, Classroom


def _actions(factory: sessionmaker[Session]) -> list[tuple[str, str]]:
    with factory() as session:
        entries = session.scalars(select(AuditLog).order_by(AuditLog.id))
        return [(a.action, a.actor) for a in entries]


def test_privacy_page_shows_the_retention_schedule_to_every_user(
    client: FlaskClient, auth: AuthActions,
) -> None:
    assert client.get("/privacy").status_code == 302  # sign in first
    auth.login("bob")
    page = client.get("/privacy").get_data(as_text=True)
    assert "Retention schedule" in page
    assert "365 day(s)" in page  # sightings and audit log, the defaults
    assert "until the student is deleted (kept to re-embed" in page  # keep_photos default
    assert "The system never infers" in page  # the rule, stated to every user


@pytest.mark.parametrize("db_kind", ["sqlite", "postgresql"], indirect=True)
def test_consent_is_given_and_withdrawn_from_the_student_page(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    student = classroom.student_ids[0]
    auth.login("alice")
    page = client.get(f"/students/{student}").get_data(as_text=True)
    assert "No consent recorded: this student is never recognised" in page
    response = client.post(f"/students/{student}/consent", follow_redirects=True, data={
        "given_by": "Maria Ångström", "relation": "guardian", "notice_version": "2",
        "courses": [str(classroom.course_id)]})
    page = response.get_data(as_text=True)
    assert "Consent recorded." in page
    assert "Maria Ångström (guardian)" in page
    assert "BIO101" in page
    with session_factory() as session:
        consent = session.scalars(select(Consent)).one()
        assert (consent.all_courses, consent.course_ids, consent.recorded_by) == (
            False, [classroom.course_id], "alice")
        assert has_consent(session, student, classroom.course_id)
    assert client.get("/students/").get_data(as_text=True).count("<td>active</td>") == 1
    # Withdrawal: one click, no form to fill in.
    response = client.post(f"/students/{student}/consent/{consent.id}/withdraw",
                           follow_redirects=True)
    assert "no longer recognised by any camera" in response.get_data(as_text=True)
    with session_factory() as session:
        assert not has_consent(session, student, classroom.course_id)
    actions = [a for a, _ in _actions(session_factory)]
    assert actions[-2:] == ["consent.give", "consent.withdraw"]


def test_another_teacher_can_not_touch_consent(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    student = classroom.student_ids[0]
    auth.login("bob")
    response = client.post(f"/students/{student}/consent", data={
        "given_by": "X", "relation": "student", "notice_version": "1", "all_courses": "y"})
    assert response.status_code == 404
    assert client.post(f"/students/{student}/consent/1/withdraw").status_code == 404
    with session_factory() as session:
        assert session.scalars(select(Consent)).all() == []


def test_sign_in_failed_sign_in_and_export_are_audited(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    auth.login("nobody-like-this", "guess")
    auth.login("alice", "wrong password")
    auth.login("alice")
    assert client.get(f"/sessions/{classroom.session_id}/export.csv").status_code == 200
    assert _actions(session_factory) == [
        ("auth.login_failed", "nobody-like-this"), ("auth.login_failed", "alice"),
        ("auth.login", "alice"), ("export.download", "alice")]
    with session_factory() as session:
        export = session.scalars(select(AuditLog).where(
            AuditLog.action == "export.download")).one()
    assert export.details["file"] == "BIO101_2026-03-02.csv"
    assert export.target_id == classroom.session_id


def test_the_enroll_form_passes_who_gave_consent(
    client: FlaskClient, auth: AuthActions, monkeypatch: pytest.MonkeyPatch,
    classroom: Classroom,
) -> None:
    calls: list[EnrollmentRequest] = []
    real = views.read_enrollment_context

    def spy(session: Session, settings: Any, embedders: Any, request: EnrollmentRequest) -> Any:
        calls.append(request)
        return real(session, settings, embedders, request)

    monkeypatch.setattr(views, "read_enrollment_context", spy)
    auth.login("alice")
    client.post("/students/enroll", content_type="multipart/form-data", data={
        "student_number": "S9", "display_name": "Nia", "consent": "y",
        "consent_relation": "guardian", "consent_given_by": "Ola Nia",
        "course": str(classroom.course_id), "photos": [(io.BytesIO(b"1"), "a.jpg")]})
    (call,) = calls
    assert (call.consent_relation, call.consent_given_by, call.consent_by) == (
        "guardian", "Ola Nia", "alice")
