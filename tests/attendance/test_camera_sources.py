"""Camera credentials never leak: the one redaction, and the worker's use of it."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from attendance.camera_sources import redact_source, redact_text, source_secrets
from attendance.config import Settings
from attendance.db import Camera
from attendance.errors import CameraUnavailable
from attendance.services.cameras import create_camera
from attendance.services.heartbeat import record_heartbeat
from attendance.worker import CameraSupervisor, CameraWorker, OpenCvFrameSource
from tests.webui.conftest import FakeEmbedder

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SECRETS = ("admin", "p@ssW0rd", "ssW0rd", "Pa/ssW0rd", "S3cret", "hunter22", "abc123xyz",
           "tok-9876")


@pytest.mark.parametrize(("source", "shown"), [
    ("rtsp://admin:p@ssW0rd@cam.local/stream", "rtsp://cam.local/stream"),
    ("rtsp://admin:Pa/ssW0rd@cam.local:554/stream", "rtsp://cam.local:554/stream"),
    ("http://cam.local/video.cgi?user=admin&pwd=S3cret&channel=1",
     "http://cam.local/video.cgi?user=***&pwd=***&channel=1"),
    ("http://cam.local/v?API_KEY=abc123xyz&access_token=tok-9876&Password=S3cret",
     "http://cam.local/v?API_KEY=***&access_token=***&Password=***"),
    ("rtsp://10.0.0.5:554/user=admin&password=hunter22&channel=1&stream=0.sdp",
     "rtsp://10.0.0.5:554/user=***&password=***&channel=1&stream=0.sdp"),
    ("http://cam.local/a=b?auth=S3cret#token=tok-9876", "http://cam.local/a=b?auth=***#token=***"),
    ("rtsp://cam.local/live", "rtsp://cam.local/live"),
    ("/videos/a@b.avi", "/videos/a@b.avi"),
    ("0", "0"),
])
def test_redact_source(source: str, shown: str) -> None:
    assert redact_source(source) == shown
    assert redact_source(shown) == shown  # redacting twice changes nothing


def test_redact_text_finds_urls_and_the_sources_secrets() -> None:
    source = "rtsp://admin:Pa/ssW0rd@cam.local:554/stream"
    message = (f"[ffmpeg] could not open '{source}': 401 for user admin with Pa/ssW0rd; "
               "also tried http://u:hunter22@other/x?pwd=S3cret.")
    cleaned = redact_text(message, source)
    for secret in ("Pa/ssW0rd", "hunter22", "S3cret", "admin"):
        assert secret not in cleaned
    assert "'rtsp://cam.local:554/stream'" in cleaned
    assert "http://other/x?pwd=***." in cleaned
    assert "Pa/ssW0rd" in source_secrets(source)


def test_supervisor_never_logs_or_reports_the_password(caplog: pytest.LogCaptureFixture) -> None:
    """A driver's error quoting the URL (as OpenCV's may) is cleaned everywhere."""
    source = "rtsp://admin:p@ssW0rd@cam.local/stream?pwd=S3cret"

    class _Echoing:
        description = "echoing test source"

        def open(self) -> None:
            raise RuntimeError(f"VIDEOIO(FFMPEG): can't open {source} (user admin)")

        def read(self) -> None:
            return None

        def close(self) -> None:
            raise RuntimeError(f"release of {source} failed")

    reported: list[str] = []
    supervisor = CameraSupervisor(_Echoing, on_error=reported.append,
                                  redact=lambda text: redact_text(text, source))
    with caplog.at_level(logging.DEBUG):
        assert supervisor.read(T0) is None
    text = caplog.text + "\n".join(reported) + "\n".join(i.message for i in supervisor.incidents)
    assert "cannot open camera" in text
    for secret in ("p@ssW0rd", "ssW0rd", "S3cret", "admin"):
        assert secret not in text


def test_opencv_source_describes_itself_and_fails_without_the_password(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    import cv2

    source = "rtsp://admin:Pa/ssW0rd@cam.local:554/stream"

    def refuse(target: object) -> None:
        raise cv2.error(f"OpenCV(4.x) cap.cpp: can't open {target}")

    monkeypatch.setattr(cv2, "VideoCapture", refuse)
    camera = OpenCvFrameSource(source)
    assert camera.description == "rtsp://cam.local:554/stream"
    with pytest.raises(CameraUnavailable) as caught:
        camera.open()
    assert "Pa/ssW0rd" not in str(caught.value)
    assert caught.value.__cause__ is None  # the original, quoting the URL, is not chained


def test_worker_opens_the_decrypted_source_and_keeps_it_out_of_heartbeats(
    session_factory: sessionmaker[Session], settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from attendance.crypto import TemplateCipher

    source = "rtsp://admin:Pa/ssW0rd@cam.local:554/stream?pwd=S3cret"
    with session_factory.begin() as session:
        create_camera(session, name="room-1", source=source,
                      cipher=TemplateCipher.from_settings(settings))
    opened: list[str] = []

    class _Failing:
        description = "failing"

        def __init__(self, url: str) -> None:
            opened.append(url)
            self.url = url

        def open(self) -> None:
            raise CameraUnavailable(f"timeout opening {self.url}; Pa/ssW0rd rejected")

        def read(self) -> None:
            return None

        def close(self) -> None:
            return None

    monkey = pytest.MonkeyPatch()
    monkey.setattr("attendance.worker.camera_worker.OpenCvFrameSource", _Failing)
    try:
        worker = CameraWorker.for_camera(settings, session_factory, "room-1",
                                         embedders=[FakeEmbedder()])
        with caplog.at_level(logging.DEBUG):
            worker.camera.read(T0)
            worker.heartbeat()
    finally:
        monkey.undo()
    assert opened == [source]  # the worker got the full URL back from its ciphertext
    with session_factory() as session:
        row = session.query(Camera).one()
        stored = " ".join(str(v) for v in (row.source, row.last_error, row.source_secret))
    assert row.last_error is not None
    assert "timeout opening rtsp://cam.local:554" in row.last_error
    for secret in ("Pa/ssW0rd", "S3cret", "admin"):
        assert secret not in stored
        assert secret not in caplog.text


def test_heartbeat_service_removes_credentials_from_any_error(
    session_factory: sessionmaker[Session]
) -> None:
    with session_factory.begin() as session:
        camera = Camera(name="c", source="0")
        session.add(camera)
        session.flush()
        record_heartbeat(session, camera.id, at=T0,
                         error="open http://cam/x?user=admin&pwd=S3cret failed\x00")
    with session_factory() as session:
        error = session.get(Camera, camera.id).last_error  # type: ignore[union-attr]
    assert error == "open http://cam/x?user=***&pwd=*** failed"


def test_log_filter_redacts_messages_and_tracebacks() -> None:
    import io

    from attendance.log_redaction import RedactCredentials

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactCredentials())
    log = logging.getLogger("tests.redaction")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("opening %s", "rtsp://admin:Pa/ssW0rd@cam.local/x")
        try:
            raise RuntimeError("driver failed on http://cam/x?user=admin&pwd=S3cret")
        except RuntimeError:
            log.exception("camera died")
    finally:
        log.removeHandler(handler)
    written = stream.getvalue()
    assert "opening rtsp://cam.local/x" in written
    assert "http://cam/x?user=***&pwd=***" in written
    for secret in ("Pa/ssW0rd", "S3cret", "admin"):
        assert secret not in written
