"""Bulk enrollment from a folder or a manifest, and the ``enroll`` / ``identify`` commands."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from attendance.cli_identify import identify
from attendance.config import Settings
from attendance.db import Course, Enrollment, FacePhoto, Student
from enrollment import enroll_folder
from enrollment.cli import enroll
from tests.lfw_faces import CachingEmbedder, LfwFaces, encode

pytestmark = pytest.mark.lfw  # every test here uses LFW faces


def _layout(root: Path, lfw: LfwFaces) -> Path:
    folders = {
        "A001 George Bush": [("1.jpg", lfw.jpeg("George_W_Bush", 1)),
                             ("2.jpg", lfw.jpeg("George_W_Bush", 2))],
        "A002 Colin Powell": [("a.jpg", lfw.jpeg("Colin_Powell", 1)),
                              ("notes.jpg", b"not a photo")],
        "A003": [("x.jpg", lfw.jpeg("Tony_Blair", 1))],  # new student without a name
        "A004 Two People": [("group.png", encode(np.hstack(
            [lfw.rgb("Tony_Blair", 2), lfw.rgb("Donald_Rumsfeld", 1)]), "PNG"))],
    }
    for folder, files in folders.items():
        (root / folder).mkdir(parents=True)
        for name, data in files:
            (root / folder / name).write_bytes(data)
    (root / "A001 George Bush" / "readme.txt").write_text("refused, with its reason: not an image")
    return root


def _count(factory: sessionmaker[Session], table: type) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_folder_enrollment_reports_and_is_idempotent(
    session_factory: sessionmaker[Session], settings: Settings, lfw: LfwFaces,
    dlib_embedder: CachingEmbedder, tmp_path: Path,
) -> None:
    root = _layout(tmp_path / "photos", lfw)
    seen: list[tuple[int, int]] = []
    summary = enroll_folder(session_factory, settings, [dlib_embedder], root,
                            consent_by="registrar", progress=lambda d, t: seen.append((d, t)))
    assert seen == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]
    assert (summary.students_enrolled, summary.photos_accepted, summary.photos_rejected) == (
        2, 3, 3)
    assert summary.errors == [("A003", "student A003 is new: a name is required")]
    reasons = {(r.student_number, p.reason) for r in summary.results for p in r.photos
               if p.reason}
    assert reasons == {("A001", "not_an_image"), ("A002", "not_an_image"),
                       ("A004", "several_faces")}
    assert _count(session_factory, Student) == 2

    again = enroll_folder(session_factory, settings, [dlib_embedder], root,
                          consent_by="registrar")
    assert (again.photos_accepted, again.photos_skipped) == (0, 3)
    assert _count(session_factory, FacePhoto) == 3


def test_manifest_enrollment(
    session_factory: sessionmaker[Session], settings: Settings, lfw: LfwFaces,
    dlib_embedder: CachingEmbedder, tmp_path: Path,
) -> None:
    (tmp_path / "img").mkdir()
    for n in (1, 2):
        (tmp_path / "img" / f"r{n}.jpg").write_bytes(lfw.jpeg("Donald_Rumsfeld", n))
    manifest = tmp_path / "students.csv"
    manifest.write_text("student_number,name,image_path\n"
                        "B001,Donald Rumsfeld,img/r1.jpg\nB001,,img/r2.jpg\n"
                        "B002,Missing Person,img/none.jpg\n", encoding="utf-8")
    summary = enroll_folder(session_factory, settings, [dlib_embedder], tmp_path,
                            manifest=manifest, consent_by="registrar")
    assert summary.photos_accepted == 2
    assert summary.errors[0][0] == "B002"
    assert "none.jpg: cannot be read" in summary.errors[0][1]
    with session_factory() as session:
        assert session.scalars(select(Student.display_name)).all() == ["Donald Rumsfeld"]


@pytest.fixture
def cli_env(engine: Engine, settings: Settings, dlib_embedder: CachingEmbedder,
            monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands' settings come from the environment: point them at the test database."""
    for name in ("ATTENDANCE_LFW_DIR", "ATTENDANCE_TEST_POSTGRES_URL", "ATTENDANCE_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ATTENDANCE_INSTANCE_PATH", str(settings.instance_path))
    monkeypatch.setenv("ATTENDANCE_DATABASE_URL", engine.url.render_as_string(False))
    monkeypatch.setattr("enrollment.cli.load_embedders", lambda *a, **k: [dlib_embedder])
    monkeypatch.setattr("attendance.cli_identify.load_embedders",
                        lambda *a, **k: [dlib_embedder])


@pytest.mark.usefixtures("cli_env")
def test_enroll_and_identify_commands(
    session_factory: sessionmaker[Session], lfw: LfwFaces, tmp_path: Path,
) -> None:
    with session_factory.begin() as session:
        session.add(Course(code="CS101", name="Intro", timezone="UTC"))
    root = _layout(tmp_path / "photos", lfw)
    runner = CliRunner()
    result = runner.invoke(enroll, [str(root), "--course", "CS101", "--consent-by", "registrar"])
    assert result.exit_code == 0, result.output
    assert "students enrolled: 2; photos accepted: 3" in result.output
    assert "rejected [A002] notes.jpg: not a JPEG" in result.output
    assert "error [A003] student A003 is new: a name is required" in result.output
    assert _count(session_factory, Enrollment) == 2

    result = runner.invoke(identify, [str(lfw.path("George_W_Bush", 3)), "--course", "CS101"])
    assert result.exit_code == 0, result.output
    assert "1 face(s)" in result.output
    assert "box top=" in result.output
    assert "dlib: nearest A001 George Bush, distance 0.3" in result.output
    assert "decision: A001 George Bush" in result.output

    missing = runner.invoke(enroll, [str(root), "--course", "NOPE", "--consent-by", "x"])
    assert missing.exit_code == 1
    assert "NOPE" in missing.output


@pytest.mark.usefixtures("cli_env")
def test_enroll_command_refuses_lookalikes_unless_allowed(
    session_factory: sessionmaker[Session], lfw: LfwFaces, tmp_path: Path,
) -> None:
    """The testers' case: a third photo of an enrolled student, filed as a new student, is
    reported as a look-alike (dlib 0.501: above the duplicate threshold, below the match
    threshold) and stored only with --allow-duplicates; 'identify' then still names the
    first record, because the second one was refused."""
    first, second = tmp_path / "first", tmp_path / "second"
    (first / "B001 George Bush").mkdir(parents=True)
    for n in (1, 2):
        (first / "B001 George Bush" / f"{n}.jpg").write_bytes(lfw.jpeg("George_W_Bush", n))
    (second / "B002 Someone New").mkdir(parents=True)
    (second / "B002 Someone New" / "4.jpg").write_bytes(lfw.jpeg("George_W_Bush", 4))
    runner = CliRunner()
    assert runner.invoke(enroll, [str(first), "--consent-by", "registrar"]).exit_code == 0
    refused = runner.invoke(enroll, [str(second), "--consent-by", "registrar"])
    assert refused.exit_code == 0, refused.output
    assert "rejected [B002] 4.jpg: looks like B001 George Bush (dlib distance 0.50" in (
        refused.output)
    assert "1 photo(s) look like another enrolled student." in refused.output
    assert "--allow-duplicates" in refused.output
    with session_factory() as session:
        assert session.scalar(select(Student).where(Student.student_number == "B002")) is None
    named = runner.invoke(identify, [str(lfw.path("George_W_Bush", 4))])
    assert "decision: B001 George Bush" in named.output
    allowed = runner.invoke(enroll, [str(second), "--consent-by", "registrar",
                                     "--allow-duplicates"])
    assert allowed.exit_code == 0, allowed.output
    assert "photos accepted: 1" in allowed.output


def test_identify_shows_the_fused_runner_up_and_the_margin() -> None:
    from attendance.cli_identify import _match_lines
    from attendance.matching import Decision, FusedMatch, ModelMatch

    matches = {"dlib": ModelMatch("dlib", "v1", 0.55, 7, 0.40, 0.45, True)}
    fused = FusedMatch(7, -6.0, 0.9975, -5.8, -3.78, True, "fit", runner_up_id=8, margin=0.3)
    lines = _match_lines(Decision(None, "fused", matches, "alike", fused),
                         {7: "A007 Ana", 8: "A008 Bea"})
    assert "fused: best A007 Ana, p(same) 0.998, fused distance -6.000" in lines[1]
    assert lines[2] == ("fused: runner-up A008 Bea, fused distance -5.800, 0.20 behind "
                        "(margin 0.3, too close)")
    assert lines[3] == "decision: unknown (alike)"
