"""``attendance enroll DIR`` reads only regular files inside DIR: links out of it, broken
links, loops, pipes, sockets and climbing manifest paths are skipped, never opened, and
reported with their reason. No LFW needed: the photos here are refused by the decoder."""

from __future__ import annotations

import os
import socket
import stat
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from attendance.config import Settings
from enrollment import FolderSummary, enroll_folder, plan_folder
from enrollment.cli import enroll
from enrollment.folder_entries import kind_problem, manifest_path_problem
from tests.webui.conftest import FakeEmbedder

SECRET = b"top secret, outside the folder"


def _layout(tmp_path: Path) -> Path:
    """DIR with one student's photos and every kind of entry that must not be read."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.jpg").write_bytes(SECRET)
    root = tmp_path / "photos"
    ada = root / "A001 Ada Lovelace"
    ada.mkdir(parents=True)
    (ada / "front.jpg").write_bytes(b"not really a jpeg")
    os.symlink("front.jpg", ada / "alias.jpg")  # a link inside DIR: fine
    os.symlink(outside / "secret.jpg", ada / "escape.jpg")
    os.symlink("../../outside/secret.jpg", ada / "climb.jpg")
    os.symlink("nowhere.jpg", ada / "broken.jpg")
    os.symlink("loop2.jpg", ada / "loop1.jpg")
    os.symlink("loop1.jpg", ada / "loop2.jpg")
    os.mkfifo(ada / "pipe.jpg")
    (ada / "nested").mkdir()
    os.symlink(outside, root / "A002 Out There")  # a whole student folder outside
    os.mkfifo(root / "A003 pipe")
    (root / "notes.txt").write_text("not a student folder")
    return root


def test_plan_reads_only_regular_files_inside_the_folder(tmp_path: Path) -> None:
    root = _layout(tmp_path)
    plan = plan_folder(root)
    assert [(b.student_number, [p.name for p in b.paths]) for b in plan.batches] == [
        ("A001", ["alias.jpg", "front.jpg"])]
    skipped = dict(plan.skipped)
    assert "outside the enrolled folder" in skipped["A001 Ada Lovelace/escape.jpg"]
    assert "outside the enrolled folder" in skipped["A001 Ada Lovelace/climb.jpg"]
    assert "broken symbolic link" in skipped["A001 Ada Lovelace/broken.jpg"]
    assert "loop" in skipped["A001 Ada Lovelace/loop1.jpg"]
    assert "loop" in skipped["A001 Ada Lovelace/loop2.jpg"]
    assert "named pipe (FIFO)" in skipped["A001 Ada Lovelace/pipe.jpg"]
    assert "is a folder" in skipped["A001 Ada Lovelace/nested"]
    assert "outside the enrolled folder" in skipped["A002 Out There"]
    assert "named pipe (FIFO)" in skipped["A003 pipe"]
    assert "not a student folder" in skipped["notes.txt"]


def _run_with_deadline(target: object, seconds: float = 30.0) -> FolderSummary:
    """Run ``target()`` in a thread: a read blocking on a pipe fails the test, not the run."""
    result: list[FolderSummary] = []
    thread = threading.Thread(target=lambda: result.append(target()),  # type: ignore[operator]
                              daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "enrollment hung (a pipe was opened)"
    return result[0]


def test_manifest_paths_stay_inside_and_pipes_are_never_opened(
    session_factory: sessionmaker[Session], settings: Settings, tmp_path: Path,
) -> None:
    root = _layout(tmp_path)
    manifest = tmp_path / "students.csv"
    manifest.write_text(
        "student_number,name,image_path\n"
        "B001,Bea Good,A001 Ada Lovelace/front.jpg\n"
        "B001,,../outside/secret.jpg\n"
        "B001,,../../x.jpg\n"
        f"B001,,{tmp_path / 'outside' / 'secret.jpg'}\n"
        "B001,,A001 Ada Lovelace/escape.jpg\n"
        "B001,,A001 Ada Lovelace/pipe.jpg\n"
        "B002,Bell\x07 Name,A001 Ada Lovelace/front.jpg\n"
        "B003\x00,Nul Number,A001 Ada Lovelace/front.jpg\n",
        encoding="utf-8")
    summary = _run_with_deadline(lambda: enroll_folder(
        session_factory, settings, [FakeEmbedder()], root, manifest=manifest,
        consent_by="registrar"))
    reasons = dict(summary.skipped)
    assert "outside the enrolled folder ('..')" in reasons["students.csv line 3"]
    assert "outside the enrolled folder ('..')" in reasons["students.csv line 4"]
    assert "is an absolute path" in reasons["students.csv line 5"]
    assert "outside the enrolled folder (through a symbolic link)" in reasons[
        "students.csv line 6"]
    assert "named pipe" in reasons["students.csv line 7"]
    assert "name contains the control character U+0007" in reasons["students.csv line 8"]
    assert "student_number contains the control character U+0000" in reasons[
        "students.csv line 9"]
    # The one good row was read (and refused by the decoder: it is no image).
    photos = [(r.student_number, p.filename) for r in summary.results for p in r.photos]
    assert photos == [("B001", "front.jpg")]


def test_folder_run_reports_every_skipped_entry(
    engine: Engine, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = _layout(tmp_path)
    for name in ("ATTENDANCE_LFW_DIR", "ATTENDANCE_TEST_POSTGRES_URL", "ATTENDANCE_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ATTENDANCE_INSTANCE_PATH", str(settings.instance_path))
    monkeypatch.setenv("ATTENDANCE_DATABASE_URL", engine.url.render_as_string(False))
    monkeypatch.setattr("enrollment.cli.load_embedders", lambda *a, **k: [FakeEmbedder()])
    result = _run_with_deadline(
        lambda: CliRunner().invoke(enroll, [str(root), "--consent-by", "registrar"]))
    output = result.output  # type: ignore[attr-defined]
    assert result.exit_code == 0, output  # type: ignore[attr-defined]
    assert "entries not read: 10" in output
    assert "skipped A001 Ada Lovelace/escape.jpg: leads outside the enrolled folder" in output
    assert "skipped A001 Ada Lovelace/pipe.jpg: is a named pipe (FIFO)" in output
    assert "skipped A002 Out There: leads outside" in output
    assert "rejected [A001] alias.jpg" in output
    assert SECRET.decode() not in output


def test_sockets_and_devices_are_not_photo_files(tmp_path: Path) -> None:
    assert kind_problem(stat.S_IFCHR | 0o600) == "is a device, not a regular file; not opened"
    assert kind_problem(stat.S_IFBLK | 0o600) == "is a device, not a regular file; not opened"
    assert kind_problem(stat.S_IFREG | 0o600) is None
    root = tmp_path / "d"
    (root / "A001 Ada").mkdir(parents=True)
    path = root / "A001 Ada" / "s.jpg"
    if len(str(path)) > 100:
        pytest.skip("the temporary path is too long for a Unix socket")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        assert dict(plan_folder(root).skipped) == {
            "A001 Ada/s.jpg": "is a socket, not a regular file; not opened"}


@pytest.mark.parametrize(("path", "refused"), [
    ("a/b.jpg", False), ("a/../b.jpg", False), ("../b.jpg", True), ("a/../../b.jpg", True),
    ("/etc/passwd", True), ("~/x.jpg", True),
])
def test_manifest_path_rules(path: str, refused: bool) -> None:
    assert (manifest_path_problem(path) is not None) is refused
