"""Reads never take SQLite's write lock, and enrollment holds it only for its inserts.

Each test holds or probes the lock from a second, raw ``sqlite3`` connection, as another
program sharing the database file (a camera worker, another teacher) would.
"""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient
from numpy.typing import NDArray
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from attendance.config import Settings
from attendance.db import FacePhoto, ReadOnlySessionError, Student, make_session_factory
from models import FaceInput
from tests.lfw_faces import LfwFaces, lfw_root
from webui import create_app

from .conftest import AuthActions, Classroom, FakeEmbedder


@contextmanager
def _other_writer(engine: Engine) -> Iterator[sqlite3.Connection]:
    """Another connection holding the database's write lock until the block ends."""
    raw = sqlite3.connect(str(engine.url.database), timeout=0, isolation_level=None)
    raw.execute("BEGIN IMMEDIATE")
    try:
        yield raw
    finally:
        raw.execute("ROLLBACK")
        raw.close()


def _can_take_write_lock(engine: Engine) -> bool:
    """Whether another connection gets the write lock at once (nobody else holds it)."""
    raw = sqlite3.connect(str(engine.url.database), timeout=0, isolation_level=None)
    try:
        raw.execute("BEGIN IMMEDIATE")
        raw.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        raw.close()


def test_pages_are_served_while_another_program_holds_the_write_lock(
    client: FlaskClient, auth: AuthActions, classroom: Classroom, engine: Engine,
) -> None:
    auth.login("alice")
    with _other_writer(engine):
        for url in ("/courses/", f"/courses/{classroom.course_id}",
                    f"/sessions/{classroom.session_id}", "/students/", "/cameras/"):
            assert client.get(url).status_code == 200, url


def test_a_read_only_session_refuses_to_write(engine: Engine) -> None:
    with make_session_factory(engine, read_only=True)() as session:
        session.add(Student(student_number="X1", display_name="Nobody"))
        with pytest.raises(ReadOnlySessionError):
            session.flush()


class _LockProbingEmbedder(FakeEmbedder):
    """Records, at every embedding, whether another program could write at that moment."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.free: list[bool] = []

    def embed(self, faces: Sequence[FaceInput]) -> NDArray[np.float32]:
        self.free.append(_can_take_write_lock(self.engine))
        vectors = np.zeros((len(faces), self.dimension), dtype=np.float32)
        vectors[:, len(self.free) % self.dimension] = 1.0  # far from everyone else
        return vectors


def test_enrollment_embeds_with_no_write_lock_held(
    request: pytest.FixtureRequest, settings: Settings, engine: Engine,
    session_factory: sessionmaker[Session], auth: AuthActions, people: object,
) -> None:
    lfw = LfwFaces(lfw_root(request.config.cache))
    probe = _LockProbingEmbedder(engine)
    app: Flask = create_app(settings, overrides={
        "TESTING": True, "WTF_CSRF_ENABLED": False, "SESSION_FACTORY": session_factory,
        "EMBEDDERS": [probe],
    })
    client = app.test_client()
    AuthActions(client).login("admin")
    response = client.post("/students/enroll", content_type="multipart/form-data", data={
        "student_number": "L1", "display_name": "Tony Blair", "consent": "y",
        "photos": [(io.BytesIO(lfw.jpeg("Tony_Blair", n)), f"tb{n}.jpg") for n in (1, 2)]})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert len(probe.free) == 2
    assert all(probe.free), "the write lock was held while a photo was embedded"
    with session_factory() as session:
        student = session.scalars(select(Student).where(Student.student_number == "L1")).one()
        assert session.scalar(select(func.count()).select_from(FacePhoto).where(
            FacePhoto.student_id == student.id)) == 2


def test_more_photos_than_one_upload_allows_are_refused_with_the_limit(
    client: FlaskClient, auth: AuthActions, session_factory: sessionmaker[Session],
    classroom: Classroom,
) -> None:
    auth.login("alice")
    photos = [(io.BytesIO(b"x"), f"p{i}.jpg") for i in range(6)]  # the default limit is 5
    response = client.post("/students/enroll", content_type="multipart/form-data", data={
        "student_number": "S77", "display_name": "Many Photos", "consent": "y",
        "course": str(classroom.course_id), "photos": photos})
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "At most 5 photos per upload (setting max_photos_per_upload); 6 were chosen" in text
    with session_factory() as session:
        assert session.scalar(select(Student).where(Student.student_number == "S77")) is None
