"""``attendance bench worker``: where a frame's time goes (detect / embed / match / write).

Frames of 1280x720 are composed from LFW faces (one face crop per person, scaled so the face
is about 60-150 px high, on a textured background) and pushed through the worker's own
pipeline: :class:`~attendance.worker.recognition.Recognizer` for detect, embed and match, the
sighting spool into a throw-away SQLite database for write. Each figure is the median over
the repeats, in milliseconds per frame.
"""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session, sessionmaker

from models import ModelError, load_embedders

from .cli_support import cli_settings
from .config import Settings
from .db import (
    Base,
    ClassSession,
    Consent,
    Course,
    Enrollment,
    Student,
    make_engine,
    make_session_factory,
)
from .detection import bgr_to_rgb, face_inputs
from .matching import Gallery
from .worker.recognition import Recognizer, StageTimes
from .worker.spool import PendingSighting, SightingSpool

#: The face occupies about this fraction of the height of the crop taken from an LFW image.
FACE_FRACTION = 0.73
#: Central crop of a 250 x 250 deep-funneled LFW image that holds the face.
CROP = (50, 200)


def lfw_people(lfw_dir: Path, count: int) -> list[Path]:
    """One photo each of the ``count`` first people (alphabetically) of ``lfw_dir``."""
    people = sorted(p for p in lfw_dir.iterdir() if p.is_dir())
    photos = [next(iter(sorted(p.glob("*.jpg"))), None) for p in people[: count * 2]]
    found = [p for p in photos if p is not None][:count]
    if len(found) < count:
        raise click.ClickException(f"{lfw_dir} holds fewer than {count} people with photos")
    return found


def compose_frame(
    photos: Sequence[Path], size: tuple[int, int], rng: np.random.Generator
) -> NDArray[np.uint8]:
    """A BGR frame of ``size`` (width, height) with one face crop per photo on a grid, each
    scaled so the face is 60-150 px high (less when the grid cell is smaller)."""
    import cv2  # noqa: PLC0415 - heavy import, only for the benchmark

    width, height = size
    frame = rng.integers(80, 150, size=(height, width, 3), dtype=np.uint8)
    cols = int(np.ceil(np.sqrt(len(photos) * width / height)))
    rows = int(np.ceil(len(photos) / cols))
    cell_w, cell_h = width // cols, height // rows
    for index, path in enumerate(photos):
        image = cv2.imread(str(path))
        if image is None:
            raise click.ClickException(f"cannot read {path}")
        crop = image[CROP[0]:CROP[1], CROP[0]:CROP[1]]
        face_px = int(rng.integers(60, 151))
        side = min(int(face_px / FACE_FRACTION), cell_w - 4, cell_h - 4)
        tile = cv2.resize(crop, (side, side), interpolation=cv2.INTER_AREA)
        row, col = divmod(index, cols)
        x = col * cell_w + (cell_w - side) // 2
        y = row * cell_h + (cell_h - side) // 2
        frame[y:y + side, x:x + side] = tile
    return frame


def run_bench(
    settings: Settings, lfw_dir: Path, face_counts: Sequence[int], repeats: int,
    size: tuple[int, int] = (1280, 720),
) -> list[tuple[int, int, StageTimes]]:
    """For each face count: (faces asked, faces found, median stage times in seconds)."""
    embedders = load_embedders(settings.embedders, dlib_jitters=settings.dlib_jitters)
    recognizer = Recognizer.from_settings(settings, embedders)
    rng = np.random.default_rng(0)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        Base.metadata.create_all(engine)
        factory = make_session_factory(engine)
        for count in face_counts:
            frame = compose_frame(lfw_people(lfw_dir, count), size, rng)
            # Enrol every face found, so matching and writing do real work.
            session_id, galleries, found = _enrol(recognizer, frame, factory, count)
            samples: list[StageTimes] = []
            spool = SightingSpool()
            for _ in range(repeats):
                analysis = recognizer.analyse(frame, galleries)
                for face in analysis.faces:
                    spool.add(PendingSighting(session_id, face.student_id, datetime.now(UTC),
                                              face.box, face.evidence, None, uuid.uuid4().hex))
                started = time.perf_counter()
                spool.flush(factory, min_sightings=settings.min_sightings)
                analysis.times.write = time.perf_counter() - started
                samples.append(analysis.times)
            results.append((count, found, _median(samples)))
        engine.dispose()
    return results


def _enrol(
    recognizer: Recognizer, frame: NDArray[np.uint8], factory: sessionmaker[Session], count: int
) -> tuple[int, dict[str, Gallery], int]:
    """Store one student per face found in ``frame`` on a course with a running session;
    returns (session id, galleries of those faces, faces found)."""
    rgb = bgr_to_rgb(frame)
    inputs = face_inputs(rgb, recognizer.detector(rgb))
    with factory.begin() as session:
        course = Course(code=f"BENCH{count}", name="bench", timezone="UTC")
        session.add(course)
        session.flush()
        ids = []
        for i in range(len(inputs)):
            student = Student(student_number=f"B{count}-{i}", display_name=f"bench {i}")
            session.add(student)
            session.flush()
            session.add(Enrollment(course_id=course.id, student_id=student.id))
            # Consent, so that sightings are written (and counted) as in a real class.
            session.add(Consent(student_id=student.id, given_by="benchmark", relation="student",
                                notice_version="bench", recorded_by="benchmark"))
            ids.append(student.id)
        now = datetime.now(UTC)
        row = ClassSession(course_id=course.id, starts_at=now - timedelta(hours=1),
                           ends_at=now + timedelta(hours=1))
        session.add(row)
        session.flush()
        session_id = row.id
    galleries = {
        e.name: Gallery(e.name, e.version, e.dimension, e.embed(inputs),
                        np.asarray(ids, dtype=np.int64))
        for e in recognizer.embedders
    }
    return session_id, galleries, len(inputs)


def _images_dir(lfw_dir: Path, cache_dir: Path) -> Path:
    from models.cnn.lfw import ensure_unpacked  # noqa: PLC0415 - only when benchmarking

    if any(lfw_dir.glob("*/*_0001.jpg")):  # already the images folder itself
        return lfw_dir
    try:
        return ensure_unpacked(lfw_dir, cache_dir)
    except ModelError as exc:
        raise click.ClickException(str(exc)) from exc


def _median(samples: list[StageTimes]) -> StageTimes:
    return StageTimes(*(statistics.median(getattr(s, stage) for s in samples)
                        for stage in ("detect", "embed", "match", "write")))


@click.command("worker")
@click.option("--lfw-dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              envvar="ATTENDANCE_LFW_DIR",
              help="Folder holding lfw-deepfunneled/ or its .tgz [env: ATTENDANCE_LFW_DIR].")
@click.option("--faces", "face_counts", default="1,10,30", show_default=True,
              help="Comma-separated numbers of faces per frame.")
@click.option("--repeats", default=5, show_default=True, type=click.IntRange(1, 100))
@click.option("--size", default="1280x720", show_default=True, help="Frame WIDTHxHEIGHT.")
def worker(lfw_dir: Path | None, face_counts: str, repeats: int, size: str) -> None:
    """Per-frame time of the worker split into detect / embed / match / write (median ms).

    LFW_DIR holds ``lfw-deepfunneled/`` (or is that folder), or holds
    ``lfw-deepfunneled.tgz``, which is then unpacked once under ``<instance>/cache``.
    """
    settings = cli_settings()
    if lfw_dir is None:
        raise click.ClickException(
            "LFW faces are needed: pass --lfw-dir or set ATTENDANCE_LFW_DIR to the folder "
            "holding lfw-deepfunneled/ or lfw-deepfunneled.tgz (e.g. ../shared/datasets/lfw)"
        )
    images = _images_dir(lfw_dir, settings.instance_path / "cache")
    try:
        counts = [int(c) for c in face_counts.split(",") if c.strip()]
        width, height = (int(v) for v in size.lower().split("x"))
    except ValueError as exc:
        raise click.ClickException(f"bad --faces or --size: {exc}") from exc
    models = ", ".join(settings.embedders)
    click.echo(f"detector {settings.detector}, models {models} ({settings.fusion_rule}), "
               f"{width}x{height} frames, median of {repeats}, ms per frame")
    click.echo(f"{'faces':>5} {'found':>5} {'detect':>8} {'embed':>8} {'match':>8} "
               f"{'write':>8} {'total':>8}")
    for count, found, t in run_bench(settings, images, counts, repeats, (width, height)):
        total = t.detect + t.embed + t.match + t.write
        click.echo(f"{count:>5} {found:>5} {t.detect * 1e3:>8.1f} {t.embed * 1e3:>8.1f} "
                   f"{t.match * 1e3:>8.2f} {t.write * 1e3:>8.1f} {total * 1e3:>8.1f}")
