"""The fused score beside each model's distance: review queue and evidence page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from attendance.db import Student
from attendance.services.evidence import best_matches
from attendance.services.review import model_evidence, unsure
from attendance.services.sightings import record_sighting
from attendance.services.unsure import look_alike

from .conftest import AuthActions, Classroom, consent_for


def _entry(distance: float, threshold: float, candidate: int, accepted: bool,
           **extra: Any) -> dict[str, Any]:
    return {"distance": distance, "threshold": threshold, "version": "v", "candidate": candidate,
            "accepted": accepted, **extra}


def _fused(distance: float, candidate: int, accepted: bool, p: float) -> dict[str, Any]:
    return _entry(distance, -2.8914, candidate, accepted, p=p, version="face_cnn_v1+fd3c487ee9")


def test_unsure_rules_under_the_fused_rule() -> None:
    # Accepted by the fused score, the in-house model alone would not: not a question.
    sure = {"dlib": _entry(0.3, 0.55, 7, True), "inhouse": _entry(0.6, 0.5, 7, False),
            "fused": _fused(-13.0, 7, True, 0.99999)}
    assert unsure(model_evidence(sure), 7) is None
    # Just short of acceptance (within the fused margin): asked about the fused candidate.
    near = {"dlib": _entry(0.55, 0.55, 7, True), "inhouse": _entry(0.6, 0.5, 7, False),
            "fused": _fused(-2.5, 7, False, 0.924142)}
    assert unsure(model_evidence(near), None) == (
        7, "fused score just below acceptance (p 0.924)")
    # A stranger far from everyone, the models pointing at different students: not asked.
    far = {"dlib": _entry(0.8, 0.55, 7, False), "inhouse": _entry(0.9, 0.5, 8, False),
           "fused": _fused(7.0, 7, False, 0.0009)}
    assert unsure(model_evidence(far), None) is None
    # Named although a model names someone else: asked.
    named = {**sure, "inhouse": _entry(0.4, 0.5, 8, True)}
    assert unsure(model_evidence(named), 7) == (7, "models name different students")
    # Named by dlib's own acceptance although the fused score turned them down (the fused
    # rule lets it stand), far from the fused threshold: asked, in the teacher's language.
    dlib_only = {"dlib": _entry(0.54, 0.55, 7, True), "inhouse": _entry(0.9, 0.5, 7, False),
                 "fused": _fused(1.0, 7, False, 0.27)}
    assert unsure(model_evidence(dlib_only), 7) == (7, "models disagree: fused did not accept")
    # Left unknown because the runner-up was within the margin: asked about the nearest.
    alike = {"dlib": _entry(0.4, 0.55, 7, True), "inhouse": _entry(0.3, 0.5, 7, True),
             "fused": {**_fused(-6.0, 7, True, 0.9975), "runner_up": 8, "margin": 0.4,
                       "ambiguous": True}}
    assert unsure(model_evidence(alike), None) == (
        7, "the face looks about as much like two students")
    assert unsure(model_evidence({**alike, "fused": {**alike["fused"], "ambiguous": False}}),
                  7) is None
    # The other student it looks like: the runner-up, only for an ambiguous face.
    assert look_alike(model_evidence(alike), 7) == 8
    assert look_alike(model_evidence({**alike, "fused": {**alike["fused"], "ambiguous": False}}),
                      7) is None
    assert look_alike(model_evidence({**alike, "fused": {**alike["fused"], "runner_up": True}}),
                      7) is None  # not a student id
    assert look_alike(model_evidence(near), 7) is None  # no fused runner-up at all
    # The fused entry comes last, after the models.
    assert [e.model for e in model_evidence(near)] == ["dlib", "inhouse", "fused"]


def _record(factory: sessionmaker[Session], classroom: Classroom) -> tuple[int, int]:
    first, second = classroom.student_ids
    with factory.begin() as session:
        consent_for(session, classroom.student_ids)
        ids = []
        for minute, student, evidence in [
            (1, None, {"dlib": _entry(0.55, 0.55, first, True),
                       "inhouse": _entry(0.6, 0.5, first, False),
                       "fused": _fused(-2.5, first, False, 0.924142)}),
            (2, second, {"dlib": _entry(0.3, 0.55, second, True),
                         "inhouse": _entry(0.6, 0.5, second, False),
                         "fused": _fused(-13.0, second, True, 0.999998)}),
        ]:
            ids.append(record_sighting(
                session, class_session_id=classroom.session_id, student_id=student,
                seen_at=datetime(2026, 3, 2, 8, minute, tzinfo=UTC), box=(10, 60, 60, 10),
                evidence=evidence, min_sightings=2).sighting.id)
    return ids[0], ids[1]


def test_queue_and_evidence_page_show_the_fused_score(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    _record(session_factory, classroom)
    second = classroom.student_ids[1]
    auth.login("alice")
    queue = client.get(f"/courses/{classroom.course_id}/review").get_data(as_text=True)
    assert "1 sighting(s) in 1 question(s) to review." in queue
    assert "fused score just below acceptance (p(same person) 0.924)" in queue
    assert "p(same person) 0.924, fused distance -2.500 (threshold -2.89, not accepted)" in queue
    assert "dlib</strong>: distance 0.550" in queue  # each model's distance beside it
    page = client.get(f"/sessions/{classroom.session_id}/students/{second}/evidence"
                      ).get_data(as_text=True)
    assert "fused score" in page
    assert "p(same person) 1.000, fused distance -13.000 (threshold -2.89, accepted)" in page
    assert "fit face_cnn_v1+fd3c487ee9" in page
    assert "inhouse</strong>: distance 0.600" in page


def test_the_fused_score_in_spanish(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    _record(session_factory, classroom)
    auth.login("alice")
    spanish = {"Accept-Language": "es-MX"}
    queue = client.get(f"/courses/{classroom.course_id}/review", headers=spanish
                       ).get_data(as_text=True)
    assert "puntaje combinado apenas por debajo de la aceptación (p(misma persona) 0,924)" in queue
    assert "p(misma persona) 0,924, distancia combinada -2,500 (umbral -2,89, " in queue


def test_session_page_best_match_shows_the_fused_score(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    first, second = classroom.student_ids
    with session_factory.begin() as session:
        consent_for(session, classroom.student_ids)
        # The closer dlib distance is on the sighting with the weaker fused score: the best
        # sighting (whose thumbnail is shown) follows the fused score.
        for minute, dlib, fused, p in [(1, 0.30, -6.0, 0.997527), (2, 0.35, -9.0, 0.999877)]:
            record_sighting(
                session, class_session_id=classroom.session_id, student_id=second,
                seen_at=datetime(2026, 3, 2, 8, minute, tzinfo=UTC), box=(10, 60, 60, 10),
                evidence={"dlib": _entry(dlib, 0.55, second, True),
                          "inhouse": _entry(0.3, 0.39, second, True),
                          "fused": _fused(fused, second, True, p)}, min_sightings=2)
    with session_factory() as session:
        matches = best_matches(session, classroom.session_id)
    assert first not in matches  # no sightings, no best match
    match = matches[second]
    assert [m.model for m in match.models] == ["dlib", "inhouse", "fused"]
    assert match.models[0].distance == 0.30  # each model's own best
    assert match.models[2].distance == -9.0
    assert match.models[2].probability == 0.999877
    assert match.seen_at.minute == 2
    auth.login("alice")
    page = client.get(f"/sessions/{classroom.session_id}").get_data(as_text=True)
    assert "fused: p(same person) 1.000" in page
    assert "dlib 0.30 / 0.55" in page
    spanish = client.get(f"/sessions/{classroom.session_id}",
                         headers={"Accept-Language": "es-MX"}).get_data(as_text=True)
    assert "combinado: p(misma persona) 1,000" in spanish


def test_a_face_like_two_students_is_asked_about_in_the_teachers_language(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    first, second = classroom.student_ids
    with session_factory.begin() as session:
        consent_for(session, classroom.student_ids)
        record_sighting(
            session, class_session_id=classroom.session_id, student_id=None,
            seen_at=datetime(2026, 3, 2, 8, 3, tzinfo=UTC), box=(10, 60, 60, 10),
            evidence={"dlib": _entry(0.4, 0.55, first, True),
                      "inhouse": _entry(0.3, 0.5, first, True),
                      "fused": {**_fused(-6.0, first, True, 0.9975), "runner_up": second,
                                "margin": 0.4, "ambiguous": True}},
            min_sightings=2)
    auth.login("alice")
    queue = client.get(f"/courses/{classroom.course_id}/review").get_data(as_text=True)
    assert "the face looks about as much like two students" in queue
    assert "It looks about as much like Li Wei (S002)." in queue  # the runner-up
    spanish = client.get(f"/courses/{classroom.course_id}/review",
                         headers={"Accept-Language": "es-MX"}).get_data(as_text=True)
    assert "la cara se parece casi por igual a dos estudiantes" in spanish
    assert "Se parece casi por igual a Li Wei (S002)." in spanish


def test_a_look_alike_is_named_only_from_the_roster_with_consent(
    classroom: Classroom, session_factory: sessionmaker[Session],
) -> None:
    from attendance.services.consent import withdraw_consent
    from attendance.services.review_queue import all_groups

    first, second = classroom.student_ids
    with session_factory.begin() as session:
        stranger = Student(student_number="X999", display_name="Not On Roster")
        session.add(stranger)
        session.flush()
        consent_for(session, [first, second, stranger.id])
        for minute, runner_up in ((3, second), (4, stranger.id)):
            record_sighting(
                session, class_session_id=classroom.session_id, student_id=None,
                seen_at=datetime(2026, 3, 2, 8, minute, tzinfo=UTC), box=(10, 60, 60, 10),
                evidence={"dlib": _entry(0.4, 0.55, first, True),
                          "fused": {**_fused(-6.0 + minute, first, True, 0.99),
                                    "runner_up": runner_up, "margin": 0.4, "ambiguous": True}},
                min_sightings=2)
    with session_factory() as session:
        withdraw_consent(session, second, actor="test")  # since the faces were seen
        session.commit()
        groups = all_groups(session, classroom.course_id)
        assert [g.student_id for g in groups] == [first]
        assert groups[0].look_alike is None  # neither may be named here
        consent_for(session, [second])
        session.commit()
        groups = all_groups(session, classroom.course_id)
        assert groups[0].look_alike == ("S002", "Li Wei")



def _about_others(factory: sessionmaker[Session], classroom: Classroom) -> int:
    """Two sightings counted for the second student: one whose in-house nearest and fused
    runner-up were the first student, one whose were a student on no roster of the course
    (all consenting); returns that student's id."""
    first, second = classroom.student_ids
    with factory.begin() as session:
        outsider = Student(student_number="X999", display_name="Not On Roster")
        session.add(outsider)
        session.flush()
        consent_for(session, [first, second, outsider.id])
        for minute, other, gap in ((5, first, 2.5), (6, outsider.id, 1.5)):
            record_sighting(
                session, class_session_id=classroom.session_id, student_id=second,
                seen_at=datetime(2026, 3, 2, 8, minute, tzinfo=UTC), box=(10, 60, 60, 10),
                evidence={"dlib": _entry(0.3, 0.55, second, True),
                          "inhouse": _entry(0.45, 0.5, other, True),
                          "fused": {**_fused(-9.0, second, True, 0.999877), "runner_up": other,
                                    "margin": gap, "ambiguous": False}},
                min_sightings=2)
        return outsider.id


def test_the_evidence_page_says_whom_each_figure_is_about(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    _about_others(session_factory, classroom)
    second = classroom.student_ids[1]
    auth.login("alice")
    url = f"/sessions/{classroom.session_id}/students/{second}/evidence"
    page = client.get(url).get_data(as_text=True)
    assert "accepted); nearest: Zoë Ångström (S001)" in page  # the in-house figure
    assert "runner-up: Zoë Ångström (S001), 2.50 further" in page
    # Somebody on no roster of the course is never named, only said to be someone else.
    assert "accepted); nearest: another student" in page
    assert "runner-up: another student, 1.50 further" in page
    assert "Not On Roster" not in page
    assert "X999" not in page
    assert "nearest: this student" not in page  # figures about the student say nothing more
    spanish = client.get(url, headers={"Accept-Language": "es-MX"}).get_data(as_text=True)
    assert "segundo más cercano: Zoë Ångström (S001), 2,50 más lejos" in spanish
    assert "más cercano: otro estudiante" in spanish


def test_a_student_whose_consent_was_withdrawn_is_not_named_beside_a_figure(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    from attendance.services.consent import withdraw_consent

    first, second = classroom.student_ids
    _about_others(session_factory, classroom)
    with session_factory.begin() as session:
        withdraw_consent(session, first, actor="test")
    auth.login("alice")
    page = client.get(f"/sessions/{classroom.session_id}/students/{second}/evidence"
                      ).get_data(as_text=True)
    assert "runner-up: another student, 2.50 further" in page
    assert "Zoë Ångström" not in page
    assert "S001" not in page


def test_the_queue_says_the_runner_up_is_within_the_margin(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    first, second = classroom.student_ids
    with session_factory.begin() as session:
        consent_for(session, classroom.student_ids)
        record_sighting(
            session, class_session_id=classroom.session_id, student_id=None,
            seen_at=datetime(2026, 3, 2, 8, 3, tzinfo=UTC), box=(10, 60, 60, 10),
            evidence={"dlib": _entry(0.4, 0.55, second, True),
                      "fused": {**_fused(-6.0, first, True, 0.9975), "runner_up": second,
                                "margin": 0.4, "ambiguous": True}},
            min_sightings=2)
    auth.login("alice")
    queue = client.get(f"/courses/{classroom.course_id}/review").get_data(as_text=True)
    assert ("runner-up: Li Wei (S002), only 0.40 further (within the margin: about as alike)"
            in queue)
    assert "accepted); nearest: Li Wei (S002)" in queue  # dlib's nearest was the runner-up


def test_figures_name_only_roster_students_with_consent(
    classroom: Classroom, session_factory: sessionmaker[Session],
) -> None:
    from attendance.services.consent import withdraw_consent
    from attendance.services.evidence import evidence_names
    from attendance.services.roster import nameable_students

    first, second = classroom.student_ids
    outsider = _about_others(session_factory, classroom)
    evidence = [model_evidence({"dlib": _entry(0.3, 0.55, outsider, True),
                                "fused": {**_fused(-9.0, first, True, 0.9), "runner_up": second,
                                          "margin": 2.0}})]
    assert evidence[0][1].runner_up_gap == 2.0
    with session_factory() as session:
        assert evidence_names(session, classroom.course_id, evidence) == {
            first: ("S001", "Zoë Ångström"), second: ("S002", "Li Wei")}  # not the outsider
        assert nameable_students(session, classroom.course_id, []) == {}
        withdraw_consent(session, second, actor="test")
        session.commit()
        assert set(evidence_names(session, classroom.course_id, evidence)) == {first}
        assert set(nameable_students(session, classroom.course_id)) == {first}


def test_a_runner_up_without_consent_is_not_stored(
    classroom: Classroom, session_factory: sessionmaker[Session],
) -> None:
    first, second = classroom.student_ids
    with session_factory.begin() as session:
        consent_for(session, [first])
        stored = record_sighting(
            session, class_session_id=classroom.session_id, student_id=first,
            seen_at=datetime(2026, 3, 2, 8, 7, tzinfo=UTC), box=(10, 60, 60, 10),
            evidence={"dlib": _entry(0.3, 0.55, first, True),
                      "fused": {**_fused(-9.0, first, True, 0.9), "runner_up": second,
                                "margin": 3.0}},
            min_sightings=2).sighting
        assert stored.evidence["fused"]["runner_up"] is None
        assert stored.evidence["fused"]["candidate"] == first  # the rest is kept
        assert stored.evidence["fused"]["margin"] == 3.0


def test_stored_figures_of_the_wrong_type_are_ignored() -> None:
    fused = model_evidence({"fused": {**_fused(0.0, 7, True, 0.9), "distance": True,
                                      "runner_up": 8, "margin": "far"}})[0]
    assert fused.distance is None
    assert fused.runner_up == 8
    assert fused.runner_up_gap is None
