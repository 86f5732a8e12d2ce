"""Review queue: one question per (session, student), paged; verdicts that settle a group,
suppression, and evidence."""

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
def test_queue_asks_one_question_per_session_and_student(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    seen = _sightings(session_factory, classroom)
    first, second = classroom.student_ids
    auth.login("alice")
    page = client.get(f"/courses/{classroom.course_id}/review").get_data(as_text=True)
    assert "2 sighting(s) in 2 question(s) to review." in page
    assert "Monday 2026-03-02 09:00" in page
    assert "dlib distance 0.550 just above its threshold 0.50" in page
    assert "models disagree: inhouse did not accept" in page
    assert "Is this Zoë Ångström?" in page
    assert "1 of them already count for Li Wei." in page
    session_id = classroom.session_id
    assert f"/sessions/{session_id}/review/{first}/confirm?page=1" in page
    assert f"/sessions/{session_id}/review/{second}/reject?page=1" in page
    assert f'name="upto" value="{seen.near}"' in page
    assert f'name="upto" value="{seen.split}"' in page
    for sighting in (seen.sure, seen.far):  # sure, and clearly someone else: not asked
        assert f'value="{sighting}"' not in page


def _unsure_of(factory: sessionmaker[Session], classroom: Classroom, student: int,
               distances: list[float], *, minute: int = 10) -> list[int]:
    """Unknown faces just beyond the threshold of ``student``, one a minute."""
    ids = []
    with factory.begin() as session:
        consent_for(session, [student])
        for i, distance in enumerate(distances):
            outcome = record_sighting(
                session, class_session_id=classroom.session_id, student_id=None,
                seen_at=datetime(2026, 3, 2, 8, minute + i, tzinfo=UTC), box=(10, 60, 60, 10),
                evidence={"dlib": _model(distance, 0.5, student, False)}, min_sightings=2)
            ids.append(outcome.sighting.id)
    return ids


def test_thirty_sightings_of_one_face_are_one_question(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    """A face the camera keeps seeing every few seconds adds no rows: one question."""
    first = classroom.student_ids[0]
    _unsure_of(session_factory, classroom, first, [0.55 + 0.001 * i for i in range(30)])
    auth.login("alice")
    page = client.get(f"/courses/{classroom.course_id}/review").get_data(as_text=True)
    assert "30 sighting(s) in 1 question(s) to review." in page
    assert page.count('class="review-group"') == 1
    assert "30 sighting(s), 09:10–09:39" in page


def test_queue_is_paged(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("webui.review.views.GROUPS_PER_PAGE", 1)
    first, second = classroom.student_ids
    _unsure_of(session_factory, classroom, first, [0.55])
    _unsure_of(session_factory, classroom, second, [0.56], minute=20)
    auth.login("alice")
    url = f"/courses/{classroom.course_id}/review"
    one = client.get(url).get_data(as_text=True)
    assert "Page 1 of 2" in one
    assert "Is this Zoë Ångström?" in one
    assert "Is this Li Wei?" not in one
    assert f'href="{url}?page=2"' in one
    two = client.get(f"{url}?page=2").get_data(as_text=True)
    assert "Is this Li Wei?" in two
    assert "Page 2 of 2" in two
    assert "Page 2 of 2" in client.get(f"{url}?page=9").get_data(as_text=True)  # the last
    for bad in ("0", "abc", "-1", "1e3"):
        response = client.get(f"{url}?page={bad}")
        assert response.status_code == 400
        assert "pages are numbered" in response.get_data(as_text=True)


@pytest.mark.parametrize("db_kind", ["sqlite", "postgresql"], indirect=True)
def test_yes_settles_the_group_and_counts_each_sighting_once(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    first = classroom.student_ids[0]
    ids = _unsure_of(session_factory, classroom, first, [0.55, 0.57, 0.58])
    auth.login("alice")
    url = f"/sessions/{classroom.session_id}/review/{first}/confirm"
    response = client.post(url, data={"upto": ids[-1]}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Counted for Zoë Ångström: 3 sighting(s) confirmed." in page
    assert "Nothing to review" in page
    again = client.post(url, data={"upto": ids[-1]}, follow_redirects=True)
    assert "already reviewed" in again.get_data(as_text=True)
    with session_factory() as session:
        record = session.scalars(select(AttendanceRecord)
                                 .where(AttendanceRecord.student_id == first)).one()
        decisions = session.scalars(select(ReviewDecision.decision)).all()
        audit = session.scalars(select(AuditLog.action)
                                .where(AuditLog.action.startswith("sighting."))).all()
        assigned = set(session.scalars(select(Sighting.student_id)
                                       .where(Sighting.id.in_(ids))))
    assert (record.status, record.sightings_count) == ("present", 3)
    assert decisions == ["confirmed"] * 3
    assert audit == ["sighting.confirmed"] * 3
    assert assigned == {first}


@pytest.mark.parametrize("db_kind", ["sqlite", "postgresql"], indirect=True)
def test_not_x_settles_every_pending_sighting_of_x(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    first, second = classroom.student_ids
    ids = _unsure_of(session_factory, classroom, first, [0.55, 0.57, 0.58, 0.6])
    _unsure_of(session_factory, classroom, second, [0.56], minute=30)
    auth.login("alice")
    response = client.post(f"/sessions/{classroom.session_id}/review/{first}/reject",
                           data={"upto": ids[-1]}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Noted: not Zoë Ångström (4 sighting(s))." in page
    assert "Is this Zoë Ångström?" not in page  # none of the four is asked again
    assert "Is this Li Wei?" in page  # another student's question stays
    with session_factory() as session:
        rejected = session.scalars(select(ReviewDecision.sighting_id)
                                   .where(ReviewDecision.decision == "rejected")).all()
        assert suppressed_students(session, classroom.session_id) == {first}
        assert session.scalars(select(AttendanceRecord)).all() == []
    assert sorted(rejected) == ids


def test_a_verdict_covers_only_the_sightings_shown(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    """A face seen after the teacher loaded the page is asked about again."""
    first = classroom.student_ids[0]
    shown = _unsure_of(session_factory, classroom, first, [0.55, 0.56])
    later = _unsure_of(session_factory, classroom, first, [0.57], minute=40)
    auth.login("alice")
    response = client.post(f"/sessions/{classroom.session_id}/review/{first}/reject",
                           data={"upto": shown[-1]}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Noted: not Zoë Ångström (2 sighting(s))." in page
    assert "1 sighting(s) in 1 question(s) to review." in page
    assert f'name="upto" value="{later[0]}"' in page
    assert 'You said "not Zoë Ångström" about 2 earlier sighting(s) in this session.' in page
    missing = client.post(f"/sessions/{classroom.session_id}/review/{first}/confirm",
                          data={"upto": "x"}, follow_redirects=True)
    assert "verdict form was incomplete" in missing.get_data(as_text=True)


@pytest.mark.parametrize("db_kind", ["sqlite", "postgresql"], indirect=True)
def test_confirm_one_sighting_counts_it_once(
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
    assert f'value="{seen.near}"' not in page  # left the queue
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
def test_reject_one_sighting_is_remembered_and_settles_its_group(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    seen = _sightings(session_factory, classroom)
    second = classroom.student_ids[1]
    more = _unsure_of(session_factory, classroom, second, [0.58])
    auth.login("alice")
    response = client.post(f"/sightings/{seen.split}/reject", data={"student_id": second},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Noted: not Li Wei." in page
    assert "already counted: correct the mark if needed" in page
    with session_factory() as session:
        decisions = session.scalars(select(ReviewDecision).order_by(ReviewDecision.id)).all()
        assert suppressed_students(session, classroom.session_id) == {second}
    assert [(d.sighting_id, d.decision, d.actor) for d in decisions] == [
        (seen.split, "rejected", "alice"), (more[0], "rejected", "alice")]
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
        response = client.post(f"/sessions/{classroom.session_id}/review/{first}/{verdict}",
                               data={"upto": seen.near})
        assert response.status_code == 404
    assert client.post("/sightings/999999/confirm", data={"student_id": first}
                       ).status_code == 404
    with session_factory() as session:
        assert session.scalars(select(ReviewDecision)).all() == []
