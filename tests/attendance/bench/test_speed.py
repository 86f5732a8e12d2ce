"""Speed figures: matching on random galleries, and a one-frame worker timing (LFW)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from attendance.bench.cohort import cohort_of
from attendance.bench.speed import SpeedResult, Spread, time_matching
from attendance.bench.speed_report import classrooms, speed_markdown
from attendance.bench.speed_worker import seated_scenes, steady_scenes, time_worker
from attendance.db import Base, make_engine, make_session_factory
from models.dlib_resnet import DlibResNetEmbedder
from tests.conftest import make_settings
from tests.lfw_faces import PEOPLE, lfw_root


def test_spread() -> None:
    spread = Spread.of([0.003, 0.001, 0.002])
    assert (spread.median, spread.low, spread.high, spread.n) == (0.002, 0.001, 0.003, 3)
    assert spread.ms() == "2.0 (1.0-3.0)"


def test_matching_times_every_gallery_size() -> None:
    ticks = iter(range(1000))
    figures = time_matching([10, 100], repeats=3, clock=lambda: float(next(ticks)))
    assert [f.size for f in figures] == [10, 100]
    assert figures[0].single == Spread(1.0, 1.0, 1.0, 3)  # the fake clock ticks once per call
    assert figures[0].ranking == Spread(1.0, 1.0, 1.0, 3)


def test_worker_timing_and_report(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    images = lfw_root(request.config.cache)
    cohort = cohort_of(images, PEOPLE)
    people = sorted(cohort.students, key=lambda p: p.name)
    settings = make_settings(tmp_path, embedders="dlib")
    engine = make_engine(f"sqlite:///{tmp_path / 'speed.sqlite3'}")
    Base.metadata.create_all(engine)
    cases = [steady_scenes(people, 2, 4, seed=2), seated_scenes(people, 3, 4, seed=3)]
    assert cases[1].scenes[0].frame.shape == (1080, 1920, 3)
    try:
        figures = time_worker(cases, 1, settings, [DlibResNetEmbedder()],
                              make_session_factory(engine), datetime(2026, 1, 5, tzinfo=UTC))
    finally:
        engine.dispose()
    assert [(f.label, f.faces, f.found, f.frames) for f in figures] == [
        ("1280x720", 2, 2, 4), ("1920x1080 seated", 3, 3, 4)]
    off, on = figures[0].mode(False), figures[0].mode(True)
    assert off is not None
    assert on is not None
    assert set(on.steady_stages) == {"detect", "embed", "match", "write"}
    assert off.embedded == 2  # every face, every frame
    # Frame 1 confirms (both faces embedded), frames 2-3 inherit but for round-robin checks.
    assert on.embedded < off.embedded
    result = SpeedResult(enroll_models=("dlib",), worker=figures,
                         matching=time_matching([100_000], repeats=2))
    report = speed_markdown(result, command="attendance bench speed", date="today",
                            weights_note="", detector="hog")
    assert "100,000-vector matching < 10 ms per face" in report
    assert "| 1920x1080 seated | 3 | 3 |" in report
    assert "steady frame ms" in report


def test_classrooms_served() -> None:
    assert classrooms(5.0, 1.0) == 5.0
    assert classrooms(5.0, 3.3) == pytest.approx(1.52, abs=0.01)
