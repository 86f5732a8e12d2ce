"""Proof: generated bad files sent to the web upload and to the bulk enrollment.

Figures printed (run with ``-s``) and asserted: files sent, server errors (0), crashes (0),
rows and files written for refused files (0), refusals without their reason (0), and the
memory and decoder work spent on the pixel bombs (refused from the header).
"""

from __future__ import annotations

import io
import resource
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from numpy.typing import NDArray
from PIL import ImageFile
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from attendance.config import Settings
from attendance.db import FaceEmbedding, FacePhoto, Student
from enrollment import enroll_folder
from enrollment import service as enrollment_service
from enrollment.storage import PHOTOS_DIR, student_folder

from .bad_files import BadFile, make_bad_files
from .conftest import RandomEmbedder

Faces = tuple[NDArray[np.uint8], NDArray[np.uint8]]

#: Words that the refusal message of each reason code contains.
REASON_WORDS = {
    "empty": "the file is empty",
    "not_an_image": "not a JPEG, PNG",
    "corrupt": "damaged",
    "too_many_pixels": "the image is too large",
    "too_small": "pixels; a face must be at least",
    "no_face": "no face found",
    "several_faces": "faces found, use a photo of one person",
    "face_too_small": "needed; move closer",
    "too_dark": "face is too dark",
    "too_bright": "over-exposed",
    "blurry": "face is blurred",
}
#: Most memory the bomb decodes may add to the process, bytes.
BOMB_MEMORY_LIMIT = 200 * 1024 * 1024


def _number(index: int) -> str:
    return f"B{index:03d}"


def _stored(factory: sessionmaker[Session], number: str) -> tuple[int, int, int]:
    """(students, photos, embeddings) stored under ``number``."""
    with factory() as session:
        student = session.scalar(select(Student).where(Student.student_number == number))
        if student is None:
            return 0, 0, 0
        photos = session.scalar(select(func.count()).select_from(FacePhoto)
                                .where(FacePhoto.student_id == student.id)) or 0
        vectors = session.scalar(select(func.count()).select_from(FaceEmbedding)
                                 .where(FaceEmbedding.student_id == student.id)) or 0
        return 1, photos, vectors


def _files_of(settings: Settings, number: str) -> list[Path]:
    folder = settings.instance_path / PHOTOS_DIR / student_folder(number)
    return sorted(folder.rglob("*")) if folder.exists() else []


@pytest.mark.lfw
def test_web_upload_of_bad_files(
    app: Flask, client: FlaskClient, auth: Any, settings: Settings,
    session_factory: sessionmaker[Session], two_faces: Faces, classroom: Any,
) -> None:
    cases = make_bad_files(*two_faces)
    assert len([c for c in cases if c.rejected]) >= 40
    auth.login("alice")
    server_errors = unexplained = written_for_refused = accepted = 0
    for index, case in enumerate(cases):
        number = _number(index)
        response = client.post("/students/enroll", content_type="multipart/form-data", data={
            "student_number": number, "display_name": f"Case {index}", "consent": "y",
            "course": str(classroom.course_id), "photos": [(io.BytesIO(case.data), case.filename)],
        })
        server_errors += response.status_code >= 500
        page = response.get_data(as_text=True)
        stored = _stored(session_factory, number)
        if case.rejected:
            line = f"<strong>{escape(case.filename)}</strong>: rejected — "
            explained = line in page and any(
                escape(REASON_WORDS[code]) in page for code in case.refusals)
            unexplained += not explained
            written_for_refused += sum(stored) + len(_files_of(settings, number))
            assert explained, (case.filename, page[-2000:])
        else:
            accepted += stored == (1, 1, 1)
            assert stored == (1, 1, 1), case.filename
            (kept,) = [p for p in _files_of(settings, number) if p.is_file()]
            assert b"<script" not in kept.read_bytes()  # re-encoded: trailing data dropped
    refused = sum(c.rejected for c in cases)
    print(f"\n[trust] web upload: {len(cases)} files, {refused} refused with their reason, "
          f"{accepted} odd-but-valid accepted; server errors {server_errors}, unexplained "
          f"refusals {unexplained}, rows+files written for refused files {written_for_refused}")
    assert (server_errors, unexplained, written_for_refused) == (0, 0, 0)
    assert accepted == len(cases) - refused


@pytest.mark.lfw
def test_bulk_enroll_of_bad_files(
    tmp_path: Path, settings: Settings, session_factory: sessionmaker[Session], two_faces: Faces,
) -> None:
    cases = make_bad_files(*two_faces)
    root = tmp_path / "photos"
    for index, case in enumerate(cases):
        folder = root / f"{_number(index)} Case {index}"
        folder.mkdir(parents=True)
        (folder / case.filename).write_bytes(case.data)
    summary = enroll_folder(session_factory, settings, [RandomEmbedder()], root,
                            consent_by="Registrar (test)")
    by_number = {r.student_number: r for r in summary.results}
    wrong = written_for_refused = 0
    for index, case in enumerate(cases):
        number = _number(index)
        # Every file is offered to the decoder whatever its name (.heic, .pdf, ...), so each
        # refused one is answered with its reason, as on the web upload.
        (photo,) = by_number[number].photos
        if case.rejected:
            wrong += photo.reason not in case.refusals
            assert photo.reason in case.refusals, (case.filename, photo.message)
            assert photo.message.startswith(case.filename)
            written_for_refused += sum(_stored(session_factory, number))
            written_for_refused += len(_files_of(settings, number))
        else:
            assert photo.reason is None, (case.filename, photo.message)
            assert _stored(session_factory, number) == (1, 1, 1)
    print(f"\n[trust] bulk enroll: {len(cases)} files, {summary.photos_rejected} refused, "
          f"{summary.photos_accepted} accepted; wrong reasons "
          f"{wrong}, rows+files written for refused files {written_for_refused}, "
          f"student errors {len(summary.errors)}")
    assert (wrong, written_for_refused, len(summary.errors)) == (0, 0, 0)


def _counting(target: Any, name: str, counts: dict[str, int],
              monkeypatch: pytest.MonkeyPatch) -> None:
    original: Callable[..., Any] = getattr(target, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        counts[name] = counts.get(name, 0) + 1
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, wrapper)


def test_pixel_bombs_are_refused_from_the_header(
    client: FlaskClient, auth: Any, session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch, classroom: Any,
) -> None:
    import cv2

    grey = np.full((250, 250, 3), 100, dtype=np.uint8)
    bombs: list[BadFile] = [c for c in make_bad_files(grey, grey) if c.bomb]
    assert len(bombs) >= 6
    counts: dict[str, int] = {}
    for name in ("imdecode", "cvtColor", "resize"):
        _counting(cv2, name, counts, monkeypatch)
    _counting(ImageFile.ImageFile, "load", counts, monkeypatch)
    _counting(enrollment_service, "assess_photo", counts, monkeypatch)
    auth.login("alice")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    tracemalloc.start()
    statuses = []
    for index, bomb in enumerate(bombs):
        response = client.post("/students/enroll", content_type="multipart/form-data", data={
            "student_number": f"X{index}", "display_name": "Bomb", "consent": "y",
            "course": str(classroom.course_id), "photos": [(io.BytesIO(bomb.data), bomb.filename)],
        })
        statuses.append(response.status_code)
        assert escape(REASON_WORDS["too_many_pixels"]) in response.get_data(as_text=True)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - rss_before
    decoder_calls = sum(counts.values())
    print(f"\n[trust] pixel bombs: {len(bombs)} (144 MP to 4.3 GP), traced peak "
          f"{traced_peak / 2**20:.1f} MiB, peak RSS growth {rss_growth / 2**20:.1f} MiB, "
          f"pixel decodes / OpenCV calls / face checks {decoder_calls}")
    assert all(status < 500 for status in statuses)
    assert decoder_calls == 0, counts
    assert traced_peak < BOMB_MEMORY_LIMIT
    assert rss_growth < BOMB_MEMORY_LIMIT
    with session_factory() as session:  # only the classroom's two students
        assert session.scalar(select(func.count()).select_from(Student)) == 2
