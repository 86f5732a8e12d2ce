"""Review queue: unsure sightings listed per session, verdicts, suppression, and evidence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from attendance.db import AttendanceRecord, AuditLog, Camera, ReviewDecision, Sighting
from attendance.services.review import model_evidence, suppressed_students, unsure
from attendance.services.sightings import record_sighting

from .conftest import AuthActions, Classroom, consent_for


def _model(distance: float | None, threshold: float, candidate: int | None,
           accepted: bool, version: str = "v1") -> dict[str, Any]:
    return {"distance": distance, "threshold": threshold, "version": version,
            "candidate": candidate, "accepted": accepted}


def test_unsure_rules() -> None:
    near = model_evidence({"dlib": _model(0.55, 0.5, 7, False)})
    assert unsure(near, None) == (7, "dlib distance 0.550 just above its threshold 0.50")
    assert unsure(model_evidence({"dlib": _model(0.65, 0.5, 7, False)}), None) is None
    assert unsure(model_evidence({"dlib": _model(0.3, 0.5, 7, True)}), 7) is None
    split = model_evidence({"dlib": _model(0.3, 0.5, 7, True),
                            "inhouse": _model(0.95, 0.8, 7, False)})
    assert unsure(split, 7) == (7, "models disagree: inhouse did not accept")
    different = model_evidence({"dlib": _model(0.52, 0.5, 7, False),
                                "inhouse": _model(0.85, 0.8, 8, False)})
    assert unsure(different, None) == (7, "models name different students")
    assert unsure(model_evidence({"dlib": _model(None, 0.5, None, False)}), None) is None


@dataclass(frozen=True)
class Seen:
    near: int
    split: int
    sure: int
    far: int


def _sightings(factory: sessionmaker[Session], classroom: Classroom) -> Seen:
    first, second = classroom.student_ids
    ids = []
    with factory.begin() as session:
        camera = Camera(name="room-7", source="0")
        session.add(camera)
        session.flush()
        consent_for(session, classroom.student_ids)
        for minute, student, evidence in [
            (1, None, {"dlib": _model(0.55, 0.5, first, False)}),
            (2, second, {"dlib": _model(0.3, 0.5, second, True),
                         "inhouse": _model(0.9, 0.8, second, False, "cnn-3")}),
            (3, first, {"dlib": _model(0.2, 0.5, first, True)}),
            (4, None, {"dlib": _model(0.8, 0.5, second, False)}),
        ]:
            outcome = record_sighting(
                session, class_session_id=classroom.session_id, student_id=student,
                seen_at=datetime(2026, 3, 2, 8, minute, tzinfo=UTC), box=(10, 60, 60, 10),
                evidence=evidence, camera_id=camera.id, min_sightings=2)
            ids.append(outcome.sighting.id)
    return Seen(*ids)


@pytest.mark.parametrize("db_kind", ["sqlite", "postgresql"], indirect=True)
def test_queue_lists_only_unsure_sightings(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    seen = _sightings(session_factory, classroom)
    auth.login("alice")
    page = client.get(f"/courses/{classroom.course_id}/review").get_data(as_text=True)
    assert "2 sighting(s) to review." in page
    assert "Monday 2026-03-02 09:00" in page
    assert "dlib distance 0.550 just above its threshold 0.50" in page
    assert "models disagree: inhouse did not accept" in page
    assert f"/sightings/{seen.near}/confirm" in page
    assert f"/sightings/{seen.split}/reject" in page
    assert f"/sightings/{seen.sure}/" not in page
    assert f"/sightings/{seen.far}/" not in page


@pytest.mark.parametrize("db_kind", ["sqlite", "postgresql"], indirect=True)
def test_confirm_counts_the_sighting_once(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    seen = _sightings(session_factory, classroom)
    first = classroom.student_ids[0]
    auth.login("alice")
    response = client.post(f"/sightings/{seen.near}/confirm", data={"student_id": first},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Counted for Zoë Ångström." in page
    assert f"/sightings/{seen.near}/" not in page  # left the queue
    again = client.post(f"/sightings/{seen.near}/confirm", data={"student_id": first},
                        follow_redirects=True)
    assert "already reviewed" in again.get_data(as_text=True)
    with session_factory() as session:
        record = session.scalars(select(AttendanceRecord)
                                 .where(AttendanceRecord.student_id == first)).one()
        sighting = session.get(Sighting, seen.near)
        audit = session.scalars(select(AuditLog.action)
                                .where(AuditLog.action.startswith("sighting."))).all()
    assert (record.status, record.sightings_count) == ("present", 2)  # 2 = min_sightings
    assert sighting is not None
    assert sighting.student_id == first
    assert audit == ["sighting.confirmed"]


@pytest.mark.parametrize("db_kind", ["sqlite", "postgresql"], indirect=True)
def test_reject_is_remembered_for_the_worker(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    seen = _sightings(session_factory, classroom)
    second = classroom.student_ids[1]
    auth.login("alice")
    response = client.post(f"/sightings/{seen.split}/reject", data={"student_id": second},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Noted: not Li Wei." in page
    assert "already counted: correct the mark if needed" in page
    with session_factory() as session:
        decision = session.scalars(select(ReviewDecision)).one()
        assert suppressed_students(session, classroom.session_id) == {second}
    assert (decision.sighting_id, decision.decision, decision.actor) == (
        seen.split, "rejected", "alice")
    missing = client.post(f"/sightings/{seen.near}/reject", data={}, follow_redirects=True)
    assert "Choose a student" in missing.get_data(as_text=True)


def test_evidence_page_shows_every_figure(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    _sightings(session_factory, classroom)
    second = classroom.student_ids[1]
    auth.login("alice")
    session_page = client.get(f"/sessions/{classroom.session_id}").get_data(as_text=True)
    url = f"/sessions/{classroom.session_id}/students/{second}/evidence"
    assert url in session_page
    page = client.get(url).get_data(as_text=True)
    assert "1 sighting(s)" in page
    assert "09:02:00" in page
    assert "room-7" in page
    assert "distance 0.300" in page
    assert "version cnn-3" in page
    assert "not accepted" in page
    assert "10, 60, 60, 10" in page


def test_review_is_scoped_to_own_courses(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    seen = _sightings(session_factory, classroom)
    first = classroom.student_ids[0]
    auth.login("bob")
    assert client.get(f"/courses/{classroom.course_id}/review").status_code == 404
    assert client.get(f"/sessions/{classroom.session_id}/students/{first}/evidence"
                      ).status_code == 404
    for verdict in ("confirm", "reject"):
        response = client.post(f"/sightings/{seen.near}/{verdict}", data={"student_id": first})
        assert response.status_code == 404
    assert client.post("/sightings/999999/confirm", data={"student_id": first}
                       ).status_code == 404
    with session_factory() as session:
        assert session.scalars(select(ReviewDecision)).all() == []
