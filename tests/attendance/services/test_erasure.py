"""Erasure: one transaction removes a student's face data, files after commit, and the
embedding bytes are nowhere in the database files (SQLite) or a dump (PostgreSQL)."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from attendance.access import Actor
from attendance.config import Settings
from attendance.db import (
    AttendanceRecord,
    AuditLog,
    FaceEmbedding,
    FacePhoto,
    Sighting,
    Student,
    User,
    vector_to_bytes,
)
from attendance.errors import NotFound, PermissionDenied
from attendance.services.consent import give_consent
from attendance.services.erasure import erase_student, preview_erasure
from attendance.worker.thumbnails import thumbnail_path

from .factories import add_course_with_session

SEEN = datetime(2024, 3, 4, 8, 5, tzinfo=UTC)


def _marker_vector(seed: int) -> np.ndarray:
    """A vector whose bytes are recognisable and occur nowhere else."""
    return np.random.default_rng(seed).standard_normal(128).astype(np.float32) + 1000.0


def _enrolled(session: Session, settings: Settings, student: Student, class_session_id: int,
              seed: int) -> None:
    """Two photos (kept as files), two embeddings, two sightings with thumbnails, a record."""
    give_consent(session, student.id, given_by=student.display_name, notice_version="1",
                 actor="cli")
    for i in range(2):
        relative = f"photos/{student.student_number}/{seed}{i}.jpg"
        (settings.instance_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (settings.instance_path / relative).write_bytes(b"jpeg")
        photo = FacePhoto(student_id=student.id, content_hash=f"{seed}{i}".ljust(64, "0"),
                          file_path=relative, width=9, height=9, face_pixels=9,
                          sharpness=9.0, brightness=99.0)
        session.add(photo)
        session.flush()
        session.add(FaceEmbedding(student_id=student.id, photo_id=photo.id, model_name="dlib",
                                  model_version="v1", dimension=128,
                                  vector=vector_to_bytes(_marker_vector(seed * 10 + i))))
        key = f"s{seed}-{i}"
        session.add(Sighting(class_session_id=class_session_id, seen_at=SEEN,
                             student_id=student.id, box_top=0, box_right=1, box_bottom=1,
                             box_left=0, dedupe_key=key))
        thumb = thumbnail_path(settings.instance_path, SEEN, key)
        thumb.parent.mkdir(parents=True, exist_ok=True)
        thumb.write_bytes(b"thumb")
    session.add(AttendanceRecord(class_session_id=class_session_id, student_id=student.id,
                                 status="present"))
    session.flush()


def _setup(factory: sessionmaker[Session], settings: Settings) -> tuple[int, int, list[bytes]]:
    with factory.begin() as session:
        _, class_session, (ada, bob) = add_course_with_session(session, students=2, consent=False)
        _enrolled(session, settings, ada, class_session.id, 1)
        _enrolled(session, settings, bob, class_session.id, 2)
        # A stranger's face for which Ada was the nearest (rejected) match, and Bob for
        # another; a third looked about as much like Bob as like Ada (the fused runner-up).
        for n, (dlib, inhouse, runner_up) in enumerate(
                ((ada.id, ada.id, None), (bob.id, ada.id, None), (bob.id, bob.id, ada.id))):
            fused = {"fused": {"distance": -5.0, "candidate": bob.id, "accepted": True,
                               "runner_up": runner_up, "margin": 0.4, "ambiguous": True}}
            session.add(Sighting(
                class_session_id=class_session.id, seen_at=SEEN, student_id=None, box_top=0,
                box_right=1, box_bottom=1, box_left=0, dedupe_key=f"stranger-{n}",
                evidence={"dlib": {"distance": 0.7, "candidate": dlib, "accepted": False},
                          "inhouse": {"distance": 0.9, "candidate": inhouse,
                                      "accepted": False}, **(fused if runner_up else {})}))
        stored = list(session.scalars(select(FaceEmbedding.vector).where(
            FaceEmbedding.student_id == ada.id)))
        return ada.id, bob.id, stored


def _count(session: Session, table: type, student_id: int) -> int:
    column = table.student_id  # type: ignore[attr-defined]
    return int(session.scalar(select(func.count()).select_from(table)
                              .where(column == student_id)) or 0)


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def _database_bytes(engine: Engine, db_kind: str) -> bytes:
    """Everything the database holds, as bytes: the SQLite files, or a PostgreSQL dump."""
    if db_kind == "sqlite":
        raw = engine.raw_connection()  # outside SQLAlchemy's BEGIN: autocommit statements
        try:
            raw.driver_connection.execute("VACUUM")  # type: ignore[union-attr]
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]
        finally:
            raw.close()
        path = Path(str(engine.url.database))
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    with engine.connect() as conn:
        schema = conn.scalar(text("SELECT current_schema()"))
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    url = engine.url.set(drivername="postgresql", query={})
    dump = subprocess.run(  # noqa: S603  (fixed program, test database URL)
        ["pg_dump", "--data-only", "--schema", str(schema),  # noqa: S607
         url.render_as_string(hide_password=False)],
        capture_output=True, check=True, env={**os.environ, "PGCONNECT_TIMEOUT": "5"})
    return dump.stdout


def _hexes(blob: bytes) -> list[bytes]:
    """Forms the bytes could take in a dump: raw, and PostgreSQL's hex bytea text."""
    return [blob, blob.hex().encode()]


def test_erasing_a_student_removes_face_data_files_and_bytes(
    engine: Engine, db_kind: str, session_factory: sessionmaker[Session], settings: Settings,
) -> None:
    ada, bob, vectors = _setup(session_factory, settings)
    before = _files(settings.instance_path)
    whole = _database_bytes(engine, db_kind)
    assert all(any(h in whole for h in _hexes(v)) for v in vectors)  # the scan can see them

    with session_factory() as session:
        report = erase_student(session, settings, ada, actor="admin")
        assert _files(settings.instance_path) == before  # files wait for the commit
        session.commit()
    assert (report.embeddings, report.photos, report.photo_files, report.sightings,
            report.thumbnails, report.attendance_records, report.consents) == (2, 2, 2, 2, 2,
                                                                              1, 1)
    assert report.mentions == 3
    removed = before - _files(settings.instance_path)
    assert len(removed) == 4
    assert all("1" in name for name in removed)
    with session_factory() as session:
        for table in (FaceEmbedding, FacePhoto, Sighting, AttendanceRecord):
            assert _count(session, table, ada) == 0
            assert _count(session, table, bob) > 0
        assert session.get(Student, ada) is None
        strangers = session.scalars(select(Sighting).where(Sighting.student_id.is_(None))
                                    .order_by(Sighting.dedupe_key)).all()
        assert [(s.evidence["dlib"]["candidate"], s.evidence["inhouse"]["candidate"])
                for s in strangers] == [(None, None), (bob, None), (bob, bob)]
        assert strangers[2].evidence["fused"]["runner_up"] is None  # no longer named
        assert strangers[2].evidence["fused"]["candidate"] == bob
        assert strangers[0].evidence["dlib"]["distance"] == 0.7
        entry = session.scalars(select(AuditLog).where(AuditLog.action == "student.delete")).one()
        assert entry.details["embeddings"] == 2
        assert entry.actor == "admin"
    whole = _database_bytes(engine, db_kind)
    for vector in vectors:
        assert not any(h in whole for h in _hexes(vector)), "embedding bytes survive erasure"


def test_a_rolled_back_erasure_keeps_rows_and_files(
    session_factory: sessionmaker[Session], settings: Settings,
) -> None:
    ada, _, _ = _setup(session_factory, settings)
    before = _files(settings.instance_path)
    with session_factory() as session:
        erase_student(session, settings, ada, actor="admin")
        session.rollback()
    assert _files(settings.instance_path) == before
    with session_factory() as session:
        assert _count(session, FaceEmbedding, ada) == 2
        with pytest.raises(NotFound):
            erase_student(session, settings, 99999, actor="admin")


def test_the_preview_counts_what_the_erasure_removes_and_writes_nothing(
    session_factory: sessionmaker[Session], settings: Settings,
) -> None:
    ada, _, _ = _setup(session_factory, settings)
    before = _files(settings.instance_path)
    with session_factory() as session:
        preview = preview_erasure(session, settings, ada)
        assert not session.dirty
        assert not session.new
    with session_factory() as session:
        assert _count(session, FaceEmbedding, ada) == 2  # nothing was written
    assert _files(settings.instance_path) == before
    with session_factory.begin() as session:
        report = erase_student(session, settings, ada, actor="admin")
    assert (preview.student_number, preview.courses) == (report.student_number, ("CS101",))
    assert (preview.photos, preview.photo_files, preview.embeddings, preview.sightings,
            preview.thumbnails, preview.attendance_records, preview.consents,
            preview.mentions, preview.audit_entries) == (
        report.photos, report.photo_files, report.embeddings, report.sightings,
        report.thumbnails, report.attendance_records, report.consents, report.mentions,
        report.audit_entries)
    assert preview.review_decisions == 0


def test_only_admins_erase(session_factory: sessionmaker[Session], settings: Settings) -> None:
    ada, _, _ = _setup(session_factory, settings)
    with session_factory.begin() as session:
        teacher = User(username="tina", role="teacher", password_hash="x")
        session.add(teacher)
    with session_factory() as session:
        by = Actor(teacher.id)
        with pytest.raises((NotFound, PermissionDenied)):
            erase_student(session, settings, ada, actor="t", by=by)
        assert session.get(Student, ada) is not None
