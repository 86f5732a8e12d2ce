"""A tiny classroom run through the real pipeline (LFW, dlib; skipped without LFW)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from attendance.bench.classroom import run_classroom
from attendance.bench.classroom_report import classroom_markdown
from attendance.bench.cohort import cohort_of
from attendance.bench.plan import plan_classroom
from attendance.bench.plots import plot_det
from attendance.cli import main
from attendance.db import Base, make_engine, make_session_factory
from enrollment.cli_bench import real_enroller
from models import Embedder
from models.cnn.embedder import DEFAULT_WEIGHTS, KerasCnnEmbedder
from models.dlib_resnet import DlibResNetEmbedder
from models.fusion_params import shipped_fusion_params
from tests.conftest import make_settings
from tests.lfw_faces import PEOPLE, CachingEmbedder, lfw_root


@pytest.fixture(scope="module")
def lfw_images(request: pytest.FixtureRequest) -> Path:
    return lfw_root(request.config.cache)


def test_tiny_classroom_run(lfw_images: Path, tmp_path: Path) -> None:
    cohort = cohort_of(lfw_images, PEOPLE)
    plan = plan_classroom(cohort, sessions=1, roster_size=4, frames_per_session=2,
                          walk_ins=2, attend_rate=0.75, seed=1)
    # The in-house model joins when its shipped weights exist (not while it is being trained).
    embedders: list[Embedder] = [CachingEmbedder(DlibResNetEmbedder())]
    if DEFAULT_WEIGHTS.is_file():
        embedders.append(KerasCnnEmbedder())
    names = ",".join(e.name for e in embedders)
    settings = make_settings(tmp_path, embedders=names, keep_photos=False)
    engine = make_engine(f"sqlite:///{tmp_path / 'bench.sqlite3'}")
    Base.metadata.create_all(engine)
    try:
        result = run_classroom(plan, settings, embedders,
                               make_session_factory(engine), real_enroller(),
                               start=datetime(2026, 1, 5, 9, tzinfo=UTC),
                               frames_dir=tmp_path / "frames", detector_sweep=False)
    finally:
        engine.dispose()
    assert result.enrollment.students == 4
    expected = (["dlib", "inhouse", "fused", "fused_score", "both"] if len(embedders) == 2
                else ["dlib"])
    assert [o.label for o in result.outcomes] == [
        label for name in expected for label in (name, f"{name} + tracker")]
    counts = result.outcomes[0].counts  # dlib
    session = plan.sessions[0]
    assert (counts.attending, counts.absent) == (len(session.attending), len(session.absent))
    assert counts.false_presence == 0
    assert result.frames == 2
    assert len(list((tmp_path / "frames").glob("*.jpg"))) == 2
    assert result.truth_faces == sum(len(f.appearances) for f in session.frames)
    assert result.detector_misses <= 1
    mated, non_mated = result.scores["dlib"]
    assert len(mated) + len(non_mated) == result.truth_faces - result.detector_misses
    png = plot_det(result.scores, tmp_path / "det.png", "tiny")
    assert png.read_bytes().startswith(b"\x89PNG")
    report = classroom_markdown(result, command="attendance bench classroom", date="today",
                                weights_note="dlib only", det_png="det.png")
    assert "| dlib |" in report
    assert "| dlib + tracker |" in report
    if len(embedders) == 2:
        assert "| fused |" in report
        assert "fused" in result.scores
        assert "fused" in result.thresholds
        assert result.thresholds["fused_score"] == result.thresholds["fused"]
        assert "| fused_score |" in report
        assert result.fused_margin == shipped_fusion_params().fused_margin
        assert (f"fused margin over the runner-up {result.fused_margin:g}" in report
                ) == bool(result.fused_margin)
    else:
        assert result.fused_margin is None
    assert "## Targets" in report
    assert "The tracker adds no false presence, dlib: **met**" in report


def test_seated_room_with_the_tracker(lfw_images: Path, tmp_path: Path) -> None:
    """Seats kept across frames: the tracker carries identities, each inherited sighting is
    stored with its origin, and it adds no false presence; every detector setting ran."""
    cohort = cohort_of(lfw_images, PEOPLE)
    plan = plan_classroom(cohort, sessions=1, roster_size=5, frames_per_session=5,
                          walk_ins=1, attend_rate=1.0, seed=2, room="seats")
    settings = make_settings(tmp_path, embedders="dlib", keep_photos=False)
    engine = make_engine(f"sqlite:///{tmp_path / 'bench.sqlite3'}")
    Base.metadata.create_all(engine)
    try:
        result = run_classroom(plan, settings, [CachingEmbedder(DlibResNetEmbedder())],
                               make_session_factory(engine), real_enroller(),
                               start=datetime(2026, 1, 5, 9, tzinfo=UTC))
    finally:
        engine.dispose()
    assert result.frame_size == (1920, 1080)
    off, on = result.outcomes
    assert (off.tracking, on.tracking) == (False, True)
    assert on.inherited > 0
    assert on.embedded + on.inherited == off.embedded
    assert on.inherited_with_provenance == on.inherited
    assert on.counts.false_presence <= off.counts.false_presence
    assert on.counts.recall == off.counts.recall
    assert {(t.max_side, t.band) for t in result.detector_trials} >= {(1280, 1.0), (1920, 0.5)}
    assert all(sum(n for n, _ in t.misses_by_size.values()) == result.truth_faces
               for t in result.detector_trials)
    report = classroom_markdown(result, command="attendance bench classroom --room seats",
                                date="today", weights_note="dlib only", det_png=None)
    assert "seated room" in report
    assert "### Detector settings" in report
    assert f"{on.inherited}/{on.inherited} |" in report


def test_missing_lfw_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["bench", "classroom", "--lfw-dir",
                                       str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "LFW not found" in result.output
