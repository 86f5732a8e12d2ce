"""Students: search, enrollment through the form, deletion by an admin."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from attendance.db import Student
from enrollment import (
    EnrollmentRequest,
    EnrollmentResult,
    Outcome,
    PhotoOutcome,
    PreparedEnrollment,
)
from webui.students import views

from .conftest import AuthActions, Classroom, FakeEmbedder


def _enroll_data(course: Classroom | None = None, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "student_number": "S100", "display_name": "Ada Lovelace", "email": "",
        "consent": "y", "photos": [(io.BytesIO(b"not an image"), "ada.jpg")],
        "course": str(course.course_id) if course else "",
    }
    data.update(changes)
    return data


def test_list_and_search(client: FlaskClient, auth: AuthActions, classroom: Classroom) -> None:
    auth.login("alice")
    page = client.get("/students/").get_data(as_text=True)
    assert "Zoë Ångström" in page
    assert "Li Wei" in page
    found = client.get("/students/", query_string={"q": "wei"}).get_data(as_text=True)
    assert "Li Wei" in found
    assert "Zoë" not in found
    assert "No student matches" in client.get("/students/?q=%25").get_data(as_text=True)


def test_enroll_form_validation(client: FlaskClient, auth: AuthActions) -> None:
    auth.login("alice")
    page = client.get("/students/enroll").get_data(as_text=True)
    assert 'type="file"' in page
    assert "allow_duplicate" not in page  # admins only
    response = client.post("/students/enroll", data=_enroll_data(consent="", photos=[],
                                                                 email="nope"))
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Enrollment needs the student&#39;s recorded consent." in text
    assert "Choose at least one photo." in text
    assert "Enter an address like name@school.edu." in text


def test_enroll_needs_a_name_for_a_new_student(
    client: FlaskClient, auth: AuthActions, classroom: Classroom
) -> None:
    auth.login("alice")
    response = client.post("/students/enroll", data=_enroll_data(classroom, display_name=""),
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert "This field is required." in response.get_data(as_text=True)


def test_enroll_shows_why_a_photo_was_refused(
    client: FlaskClient, auth: AuthActions, session_factory: sessionmaker[Session],
    classroom: Classroom,
) -> None:
    auth.login("alice")
    response = client.post("/students/enroll", data=_enroll_data(classroom),
                           content_type="multipart/form-data")
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing was stored for S100" in text
    assert '<li class="refused">' in text
    assert "ada.jpg" in text
    with session_factory() as session:
        assert session.scalar(select(Student).where(Student.student_number == "S100")) is None


def test_enroll_calls_the_service_and_shows_each_photo(
    client: FlaskClient, auth: AuthActions, monkeypatch: pytest.MonkeyPatch,
    classroom: Classroom,
) -> None:
    calls: list[tuple[Any, EnrollmentRequest]] = []

    def fake_store(session: Session, settings: Any, embedders: Any,
                   prepared: PreparedEnrollment) -> Any:
        calls.append((embedders, prepared.context.request))
        return EnrollmentResult("S100", 42, True, (
            PhotoOutcome("a.jpg", Outcome.ACCEPTED, "a.jpg: accepted", "h1"),
            PhotoOutcome("b.jpg", Outcome.REJECTED, "b.jpg: 2 faces found; use a photo of one",
                         "h2", reason="several_faces"),
        ))

    monkeypatch.setattr(views, "store_enrollment", fake_store)
    auth.login("alice")
    photos = [(io.BytesIO(b"1"), "a.jpg"), (io.BytesIO(b"2"), "b.jpg")]
    response = client.post("/students/enroll", data=_enroll_data(classroom, photos=photos),
                           content_type="multipart/form-data")
    text = response.get_data(as_text=True)
    assert "Student S100 enrolled: 1 photo(s) accepted, 1 refused" in text
    assert "b.jpg: 2 faces found; use a photo of one" in text
    ((embedders, call),) = calls
    assert isinstance(embedders[0], FakeEmbedder)
    assert call.consent_by == "alice"
    assert call.actor == "alice"
    assert call.allow_duplicate is False
    assert [p.data for p in call.photos] == [b"1", b"2"]
    assert (call.course_id, call.consent_course_ids) == (classroom.course_id,
                                                         [classroom.course_id])


def test_enroll_page_offers_webcam_capture_from_a_local_script(
    client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("alice")
    page = client.get("/students/enroll").get_data(as_text=True)
    assert '<script src="/static/webcam.js" defer></script>' in page
    # Hidden until the script finds a camera API; the upload works without it.
    assert '<section id="webcam" class="webcam" data-input="photos"' in page
    assert "hidden>" in page
    script = client.get("/static/webcam.js")
    assert script.mimetype in {"text/javascript", "application/javascript"}
    assert b"DataTransfer" in script.data
    script.close()


def test_the_form_states_its_limits_in_megabytes(client: FlaskClient, auth: AuthActions,
                                                 classroom: Classroom) -> None:
    auth.login("alice")
    page = client.get("/students/enroll").get_data(as_text=True)
    assert "At most 5 photos of up to 15.7 MB each." in page
    assert "15,728,640" not in page
    assert "Choose the photos again" not in page  # nothing was sent yet


def test_a_form_that_comes_back_says_to_choose_the_photos_again(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
) -> None:
    auth.login("alice")
    response = client.post("/students/enroll", data=_enroll_data(classroom, consent=""),
                           content_type="multipart/form-data")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Choose the photos again before you send the form" in page
    assert 'value="Ada Lovelace"' in page  # the rest is as it was
