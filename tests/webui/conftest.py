"""Fixtures for the dashboard: ``app``, ``client``, ``auth`` (flaskr's), users and a course.

Web tests run on SQLite by default (``db_kind`` is narrowed here); the tests where the
database matters are parametrised over both databases with ``indirect=True``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient
from numpy.typing import NDArray
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.security import generate_password_hash
from werkzeug.test import TestResponse

from attendance.config import Settings
from attendance.db import ClassSession, Role, Student, User
from attendance.services.consent import ensure_consent
from attendance.services.courses import Slot, create_course
from attendance.services.roster import add_to_roster
from models import FaceInput
from webui import catalogues, create_app

PASSWORD = "correct horse battery"
#: Cheap hashing for fixtures; the service's scrypt is tested by its own tests.
_FAST_HASH = "pbkdf2:sha256:1000"


class FakeEmbedder:
    """Stands in for a face model; enrollment tests here never reach embedding."""

    name = "dlib"
    version = "test"
    dimension = 128

    def embed(self, faces: Sequence[FaceInput]) -> NDArray[np.float32]:
        return np.zeros((len(faces), self.dimension), dtype=np.float32)


@pytest.fixture(scope="session", autouse=True)
def _compiled_catalogues() -> None:
    """The Spanish pages need the compiled catalogues that scripts/setup.sh builds; a bare
    ``pytest`` in a fresh checkout builds them here (the same files, ignored by git)."""
    catalogues.compile_if_stale()


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sign-ins would re-hash the fixtures' cheap hashes with 600,000 PBKDF2 rounds (0.3 s
    each); here the cheap method counts as current. tests/attendance/services tests the real one."""
    monkeypatch.setattr("attendance.services.users.PASSWORD_METHOD", _FAST_HASH)


@pytest.fixture(params=["sqlite"])
def db_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


@pytest.fixture
def app(settings: Settings, session_factory: sessionmaker[Session]) -> Flask:
    return create_app(settings, overrides={
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "SESSION_FACTORY": session_factory,
        "EMBEDDERS": [FakeEmbedder()],
    })


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@dataclass(frozen=True)
class People:
    admin: int
    alice: int
    bob: int


@pytest.fixture
def people(session_factory: sessionmaker[Session]) -> People:
    """An admin and two teachers, all with :data:`PASSWORD`."""
    with session_factory.begin() as session:
        ids = {}
        for name, role in (("admin", Role.ADMIN), ("alice", Role.TEACHER), ("bob", Role.TEACHER)):
            user = User(username=name, role=role.value,
                        password_hash=generate_password_hash(PASSWORD, method=_FAST_HASH))
            session.add(user)
            session.flush()
            ids[name] = user.id
    return People(**ids)


class AuthActions:
    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def login(self, username: str = "alice", password: str = PASSWORD) -> TestResponse:
        return self._client.post("/auth/login", data={"username": username, "password": password})

    def logout(self) -> TestResponse:
        return self._client.post("/auth/logout")


@pytest.fixture
def auth(client: FlaskClient, people: People) -> AuthActions:
    return AuthActions(client)


@dataclass(frozen=True)
class Classroom:
    """Alice's course with two students and one past session; Bob's course with none."""

    course_id: int
    other_course_id: int
    session_id: int
    other_session_id: int
    student_ids: tuple[int, int]


@pytest.fixture
def classroom(session_factory: sessionmaker[Session], people: People) -> Classroom:
    with session_factory.begin() as session:
        course = create_course(session, code="BIO101", name="Biology", timezone="Europe/Berlin",
                               slots=[Slot(0, time(9), time(10, 30))], teacher_id=people.alice)
        other = create_course(session, code="CHEM1", name="Chemistry", timezone="UTC",
                              teacher_id=people.bob)
        students = [Student(student_number="S001", display_name="Zoë Ångström"),
                    Student(student_number="S002", display_name="Li Wei")]
        session.add_all(students)
        session.flush()
        add_to_roster(session, course.id, student_ids=[s.id for s in students])
        mine = ClassSession(course_id=course.id, starts_at=datetime(2026, 3, 2, 8, tzinfo=UTC),
                            ends_at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
        theirs = ClassSession(course_id=other.id, starts_at=datetime(2026, 3, 2, 8, tzinfo=UTC),
                              ends_at=datetime(2026, 3, 2, 9, tzinfo=UTC))
        session.add_all([mine, theirs])
        session.flush()
        return Classroom(course.id, other.id, mine.id, theirs.id,
                         (students[0].id, students[1].id))


def consent_for(session: Session, student_ids: Sequence[int]) -> None:
    """Record that each of ``student_ids`` consents to face recognition (all courses), as
    the camera's sightings of a student count only then."""
    for student_id in student_ids:
        ensure_consent(session, student_id, given_by="the student", notice_version="1",
                       actor="test")
