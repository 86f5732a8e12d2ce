"""Adding a model enabled later to the photos already enrolled (``enrollment.backfill``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from numpy.typing import NDArray
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from attendance.config import Settings
from attendance.db import AuditLog, FaceEmbedding, FacePhoto
from enrollment import PhotoUpload, enroll_student
from enrollment.backfill import backfill_embeddings
from models import FaceInput
from tests.conftest import make_settings
from tests.lfw_faces import CachingEmbedder, LfwFaces


class FakeInhouse:
    """A cheap stand-in for the in-house CNN: the face box's mean colour, normalised."""

    name = "inhouse"
    version = "fake-1"
    dimension = 3

    def __init__(self) -> None:
        self.calls = 0

    def embed(self, faces: Sequence[FaceInput]) -> NDArray[np.float32]:
        self.calls += len(faces)
        rows = []
        for f in faces:
            top, right, bottom, left = f.box
            mean = f.image[top:bottom, left:right].reshape(-1, 3).mean(axis=0) + 1.0
            rows.append(mean / np.linalg.norm(mean))
        return np.asarray(rows, dtype=np.float32).reshape(len(faces), 3)


def _enroll(factory: sessionmaker[Session], settings: Settings, embedders: Sequence[object],
            number: str, photos: list[PhotoUpload]) -> None:
    with factory.begin() as session:
        result = enroll_student(session, settings, embedders,  # type: ignore[arg-type]
                                student_number=number, display_name=f"Student {number}",
                                consent_by="registrar", photos=photos)
        assert result.accepted, result


def _counts(factory: sessionmaker[Session]) -> dict[str, int]:
    with factory() as session:
        rows = session.execute(select(FaceEmbedding.model_name, func.count())
                               .group_by(FaceEmbedding.model_name)).tuples()
        return dict(rows.all())


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
def test_backfill_adds_the_missing_model_once(
    tmp_path: Path, session_factory: sessionmaker[Session], lfw: LfwFaces,
    dlib_embedder: CachingEmbedder,
) -> None:
    settings = make_settings(tmp_path)
    unkept = make_settings(tmp_path, keep_photos=False)
    person, other, third = "George_W_Bush", "Colin_Powell", "Tony_Blair"
    _enroll(session_factory, settings, [dlib_embedder], "S1",
            [PhotoUpload(f"{n}.jpg", lfw.jpeg(person, n)) for n in (1, 2)])
    _enroll(session_factory, unkept, [dlib_embedder], "S2",
            [PhotoUpload("1.jpg", lfw.jpeg(other, 1))])
    _enroll(session_factory, settings, [dlib_embedder], "S3",
            [PhotoUpload("1.jpg", lfw.jpeg(third, 1))])
    with session_factory() as session:
        broken = session.scalars(select(FacePhoto.file_path).join(FacePhoto.student)
                                 .where(FacePhoto.file_path.like("%S3%"))).one()
    (settings.instance_path / broken).write_bytes(b"not a photo at all")
    fake = FakeInhouse()
    progress: list[tuple[int, int]] = []

    summary = backfill_embeddings(session_factory, settings, [dlib_embedder, fake],
                                  progress=lambda done, total: progress.append((done, total)))

    assert summary.photos == 4
    assert summary.added == {"inhouse": 2}
    assert summary.missing_file == 1
    assert len(summary.failed) == 1
    assert summary.failed[0].startswith("S3 photo")
    assert progress[-1] == (4, 4)
    assert _counts(session_factory) == {"dlib": 4, "inhouse": 2}
    # Each new row is the model's embedding of that photo, readable like any other.
    with session_factory() as session:
        versions = set(session.scalars(select(FaceEmbedding.model_version)
                                       .where(FaceEmbedding.model_name == "inhouse")))
    assert versions == {"fake-1"}

    calls = fake.calls
    again = backfill_embeddings(session_factory, settings, [dlib_embedder, fake])
    assert again.added == {}
    assert again.complete == 2
    assert again.missing_file == 1
    assert fake.calls == calls  # nothing embedded again
    assert _counts(session_factory) == {"dlib": 4, "inhouse": 2}


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
def test_backfill_command_reports_and_audits(
    tmp_path: Path, session_factory: sessionmaker[Session], lfw: LfwFaces,
    dlib_embedder: CachingEmbedder, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from enrollment.cli_embeddings import embeddings

    url = str(session_factory.kw["bind"].url)
    settings = make_settings(tmp_path, database_url=url)
    _enroll(session_factory, settings, [dlib_embedder], "S1",
            [PhotoUpload("1.jpg", lfw.jpeg("George_W_Bush", 1))])
    monkeypatch.setattr("enrollment.cli_embeddings.load_embedders",
                        lambda names, **_: [dlib_embedder, FakeInhouse()])
    env = {"ATTENDANCE_INSTANCE_PATH": str(settings.instance_path),
           "ATTENDANCE_DATABASE_URL": url}
    result = CliRunner().invoke(embeddings, ["backfill"], env=env)
    assert result.exit_code == 0, result.output
    assert "embeddings added: 1 inhouse; 0 already complete; 0 skipped (photo file not kept); " \
           "0 failed." in result.output
    again = CliRunner().invoke(embeddings, ["backfill"], env=env)
    assert "embeddings added: none; 1 already complete" in again.output
    with session_factory() as session:
        actions = session.scalars(select(AuditLog.action)
                                  .where(AuditLog.action == "embeddings.backfill")).all()
    assert len(actions) == 2
