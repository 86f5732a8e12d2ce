"""The worker of one classroom camera: capture a frame, recognise, spool, write, heartbeat.

:meth:`CameraWorker.tick` is one capture for one class session. It never raises: a bad
frame, a model error or an unreachable database is logged, counted and reported in the
heartbeat, and the next tick carries on. Frames live only in local variables; nothing of
the picture but each face's box and its match evidence is kept.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models import Embedder, load_embedders

from ..camera_sources import redact_text
from ..config import Settings
from ..crypto import TemplateCipher
from ..db import Camera, ClassSession, Course, read_only_factory
from ..errors import NotFound, PermissionDenied
from ..matching import Gallery
from ..services.cameras import camera_signature, camera_source, get_camera, session_camera_id
from ..services.finalize import finalize_session
from ..services.heartbeat import record_heartbeat
from ..services.oversight import add_frame_coverage
from .clock import Clock, SystemClock
from .frames import Backoff, CameraSupervisor, FrameSource, OpenCvFrameSource
from .metrics import WorkerMetrics
from .recognition import GalleryCache, Recognizer, StageTimes
from .spool import FlushResult, PendingSighting, SightingSpool, is_connection_error, new_dedupe_key
from .thumbnails import keeps_thumbnail, save_thumbnail
from .tracking import FaceTracker, TrackingPolicy
from .video_file import VideoFileSource, is_video_file

logger = logging.getLogger(__name__)

SessionFactory = sessionmaker[Session] | Callable[[], Session]


@dataclass(frozen=True)
class TickReport:
    """What one tick did: faces found (``matched`` of them recognised), stage times, and
    the spool flush (None if the tick produced nothing to write and nothing was pending)."""

    frame: bool
    faces: int = 0
    matched: int = 0
    times: StageTimes = field(default_factory=StageTimes)
    flush: FlushResult | None = None


class CameraWorker:
    """Everything one camera needs across class sessions: its source, models, spool.

    ``frame_source_factory`` makes a fresh :class:`FrameSource` for each (re)connection;
    ``clock`` gives the time stamped on sightings and drives reconnect backoff; ``redact``
    cleans every camera message logged or put in the heartbeat's ``last_error`` (default:
    URL credentials removed; :meth:`for_camera` adds the camera source's own secrets).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        camera_id: int,
        camera_name: str,
        session_factory: SessionFactory,
        recognizer: Recognizer,
        frame_source_factory: Callable[[], FrameSource],
        clock: Clock | None = None,
        metrics: WorkerMetrics | None = None,
        redact: Callable[[str], str] = redact_text,
        signature: str | None = None,
    ) -> None:
        self.settings = settings
        #: ``camera_signature`` of the camera row this worker was built from (None: not
        #: watched); when the row changes or goes, :attr:`outdated` is set.
        self.signature = signature
        #: Set when the camera was changed or removed in the database: the process ends so
        #: it can start again with the camera as it is now (``runner``).
        self.outdated = threading.Event()
        self._redact = redact
        self.camera_id = camera_id
        self.camera_name = camera_name
        self.session_factory = session_factory
        #: Reads (roster galleries, course settings) never take SQLite's write lock.
        self.read_factory = read_only_factory(session_factory)
        self.recognizer = recognizer
        self.clock = clock or SystemClock()
        self.metrics = metrics or WorkerMetrics()
        self.spool = SightingSpool(settings.worker_spool_capacity)
        self.galleries = GalleryCache(recognizer.model_versions,
                                      TemplateCipher.from_settings(settings))
        self.camera = CameraSupervisor(
            frame_source_factory,
            backoff=Backoff(1.0, settings.camera_backoff_max_seconds),
            read_timeout_s=settings.camera_read_timeout_seconds,
            frozen_after_s=settings.camera_frozen_seconds,
            on_error=self._camera_error,
            redact=redact,
        )
        self._tick_lock = threading.Lock()
        self._hb_lock = threading.Lock()
        self._hb_frames = 0
        self._hb_faces = 0
        self._hb_last_frame: datetime | None = None
        self._hb_error: str | None = None
        #: Capture instants of analysed frames not yet counted in the database, per session
        #: (frame coverage, see ``attendance.services.oversight``).
        self._coverage: dict[int, list[datetime]] = {}
        #: Last known ``Course.face_recognition_enabled`` per class session.
        self._recognition: dict[int, bool] = {}
        #: Seated faces followed from frame to frame, per class session (``track_faces``).
        self._trackers: dict[int, FaceTracker] = {}

    @classmethod
    def for_camera(
        cls,
        settings: Settings,
        session_factory: SessionFactory,
        camera_name: str,
        *,
        embedders: Sequence[Embedder] | None = None,
        frame_source_factory: Callable[[], FrameSource] | None = None,
        clock: Clock | None = None,
        metrics: WorkerMetrics | None = None,
    ) -> CameraWorker:
        """A worker for the Camera row named ``camera_name`` (``NotFound`` if absent), with
        the configured models unless ``embedders`` is given. A source stored encrypted is
        decrypted here with the template key, and only ever handed to the frame source (a
        video file plays as ``camera_file_playback`` and ``camera_file_loop`` say)."""
        cipher = TemplateCipher.from_settings(settings)
        with read_only_factory(session_factory)() as session:
            camera = get_camera(session, camera_name)
            camera_id, source = camera.id, camera_source(camera, cipher)
            signature = camera_signature(camera)
        models = list(embedders) if embedders is not None else load_embedders(
            settings.embedders, dlib_jitters=settings.dlib_jitters
        )
        return cls(
            settings,
            camera_id=camera_id,
            camera_name=camera_name,
            session_factory=session_factory,
            recognizer=Recognizer.from_settings(settings, models),
            frame_source_factory=frame_source_factory or (lambda: _frame_source(settings,
                                                                                source)),
            clock=clock,
            metrics=metrics,
            redact=lambda text: redact_text(text, source),
            signature=signature,
        )

    def camera_unchanged(self, session: Session) -> bool:
        """False (and :attr:`outdated` set) when this worker's camera was renamed, given
        another source, or removed since the worker was built."""
        if self.signature is None:
            return True
        row = session.get(Camera, self.camera_id)
        if row is not None and camera_signature(row) == self.signature:
            return True
        if not self.outdated.is_set():
            logger.warning("camera %s was %s in the database; its worker stops to start again "
                           "with it", self.camera_name, "removed" if row is None else "changed")
        self.outdated.set()
        return False

    def tick(self, class_session_id: int) -> TickReport:
        """Capture and process one frame for ``class_session_id``; never raises."""
        with self._tick_lock:
            try:
                return self._tick(class_session_id)
            except Exception as exc:
                logger.exception("tick of camera %s failed", self.camera_name)
                self.metrics.errors.labels(self.camera_name, "tick").inc()
                self._note_error(f"tick failed: {type(exc).__name__}: {exc}")
                return TickReport(frame=False)

    def finalize(self, class_session_id: int) -> int | None:
        """Write what is spooled and the frame coverage, then mark everyone never seen absent
        unless the camera covered less than ``min_frame_coverage`` of the session (then it is
        flagged incomplete). Returns the number of absences created, or None when the
        database could not be reached (retry later)."""
        with self._tick_lock:
            self._flush()
            try:
                self._write_coverage()
                with self.session_factory() as session, session.begin():
                    self._check_own_session(session, class_session_id)
                    created = finalize_session(
                        session, class_session_id, self.clock.now(),
                        capture_interval_seconds=self.settings.capture_interval_seconds,
                        min_coverage=self.settings.min_frame_coverage,
                    )
            except Exception as exc:
                if not is_connection_error(exc):
                    raise
                logger.warning("cannot finalize session %d yet: %s", class_session_id, exc)
                return None
            self.galleries.forget(class_session_id)
            self._trackers.pop(class_session_id, None)
            logger.info("finalized class session %d: %d absence(s)", class_session_id, created)
            return created

    def _check_own_session(self, session: Session, class_session_id: int) -> None:
        """Refuse (``PermissionDenied``) to write for a session another camera films."""
        if session_camera_id(session, class_session_id) != self.camera_id:
            raise PermissionDenied(f"camera {self.camera_name} may not finalize class session "
                                   f"{class_session_id}: another camera films it")

    def session_window(self, class_session_id: int) -> tuple[datetime, datetime]:
        """(capture from, capture until): the session's start minus the grace, and its end."""
        with self.read_factory() as session:
            row = session.get(ClassSession, class_session_id)
            if row is None:
                raise LookupError(f"no class session with id {class_session_id}")
            grace = timedelta(minutes=self.settings.capture_grace_minutes)
            return row.starts_at - grace, row.ends_at

    def close(self) -> None:
        """Release the camera and try to store what is still spooled."""
        self.camera.close()
        self._flush()
        self._heartbeat()

    def _tick(self, class_session_id: int) -> TickReport:
        now = self.clock.now()
        if not self._recognition_enabled(class_session_id):
            return TickReport(frame=False)  # face recognition off for the course: no capture
        frame = self.camera.read(now)
        if frame is None:
            report = TickReport(frame=False, flush=self._flush())
            self._heartbeat()
            return report
        galleries = self._galleries(class_session_id)
        if galleries is None:  # no roster yet and no database: nothing to match against
            del frame
            self._heartbeat()
            return TickReport(frame=False)
        try:
            analysis = self.recognizer.analyse(frame, galleries, seen_at=now,
                                               tracker=self._tracker(class_session_id))
        except Exception as exc:
            del frame
            logger.exception("camera %s: could not analyse a frame", self.camera_name)
            self.metrics.errors.labels(self.camera_name, "frame").inc()
            self._note_error(f"frame analysis failed: {type(exc).__name__}: {exc}")
            return TickReport(frame=False, flush=self._flush())
        pending = [PendingSighting(
            class_session_id=class_session_id,
            student_id=face.student_id,
            seen_at=now,
            box=face.box,
            evidence=face.evidence,
            camera_id=self.camera_id,
            dedupe_key=new_dedupe_key(),
        ) for face in analysis.faces]
        for item in pending:  # every face with keep_thumbnails, else the unsure ones
            if keeps_thumbnail(self.settings, item.evidence, item.student_id):
                save_thumbnail(self.settings.instance_path, now, item.dedupe_key, frame, item.box,
                               self.galleries.cipher)
        del frame  # privacy: the picture itself is never kept
        for item in pending:
            self.spool.add(item)
        self._coverage.setdefault(class_session_id, []).append(now)
        started = time.perf_counter()
        flushed = self._flush()
        self._try_write_coverage()
        times = analysis.times
        times.write = time.perf_counter() - started
        matched = sum(1 for f in analysis.faces if f.student_id is not None)
        self.metrics.inherited.labels(self.camera_name).inc(
            sum(1 for f in analysis.faces if f.inherited))
        self._count(now, len(analysis.faces), matched, times)
        self._heartbeat()
        return TickReport(True, len(analysis.faces), matched, times, flushed)

    def _tracker(self, class_session_id: int) -> FaceTracker | None:
        """The session's face tracker (None with ``track_faces`` off)."""
        if not self.settings.track_faces:
            return None
        if class_session_id not in self._trackers:
            self._trackers[class_session_id] = FaceTracker(
                TrackingPolicy.from_settings(self.settings))
        return self._trackers[class_session_id]

    def _galleries(self, class_session_id: int) -> dict[str, Gallery] | None:
        try:
            with self.read_factory() as session:
                return self.galleries.get(session, class_session_id)
        except Exception as exc:
            if not is_connection_error(exc):
                raise
            cached = self.galleries.cached(class_session_id)
            self.metrics.errors.labels(self.camera_name, "database").inc()
            self._note_error(f"database unreachable while loading the roster: {exc}")
            return cached

    def _recognition_enabled(self, class_session_id: int) -> bool:
        """Whether the session's course uses face recognition (the last known answer when
        the database is unreachable; True when never known, so the spool keeps working)."""
        try:
            with self.read_factory() as session:
                enabled = session.scalar(
                    select(Course.face_recognition_enabled)
                    .join(ClassSession, ClassSession.course_id == Course.id)
                    .where(ClassSession.id == class_session_id)
                )
        except Exception as exc:
            if not is_connection_error(exc):
                raise
            return self._recognition.get(class_session_id, True)
        self._recognition[class_session_id] = bool(enabled) if enabled is not None else True
        return self._recognition[class_session_id]

    def _write_coverage(self) -> None:
        """Count the pending analysed frames in the database (raises when unreachable; the
        frames stay pending then)."""
        for class_session_id in list(self._coverage):
            times = self._coverage[class_session_id]
            if not times:
                continue
            try:
                with self.session_factory() as session, session.begin():
                    add_frame_coverage(session, class_session_id, times)
            except NotFound:
                logger.warning("class session %d is gone; its coverage is dropped",
                               class_session_id)
            del self._coverage[class_session_id][: len(times)]

    def _try_write_coverage(self) -> None:
        try:
            self._write_coverage()
        except Exception as exc:
            if not is_connection_error(exc):
                raise
            logger.warning("camera %s: frame coverage kept for later: %s", self.camera_name, exc)

    def _flush(self) -> FlushResult | None:
        if not len(self.spool):
            return None
        result = self.spool.flush(self.session_factory,
                                  min_sightings=self.settings.min_sightings)
        self.metrics.spooled.labels(self.camera_name).set(result.pending)
        if result.db_error is not None:
            self.metrics.errors.labels(self.camera_name, "database").inc()
            self._note_error(f"database unreachable, {result.pending} sighting(s) spooled: "
                             f"{result.db_error}")
        return result

    def _count(self, now: datetime, faces: int, matched: int, times: StageTimes) -> None:
        m, name = self.metrics, self.camera_name
        m.frames.labels(name).inc()
        m.faces.labels(name).inc(faces)
        m.matches.labels(name).inc(matched)
        m.unknowns.labels(name).inc(faces - matched)
        for stage in ("detect", "embed", "match", "write"):
            m.stage_seconds.labels(name, stage).observe(getattr(times, stage))
        with self._hb_lock:
            self._hb_frames += 1
            self._hb_faces += faces
            self._hb_last_frame = now

    def _camera_error(self, message: str) -> None:
        self.metrics.errors.labels(self.camera_name, "camera").inc()
        self._note_error(message)

    def _note_error(self, message: str) -> None:
        """Remember ``message`` (time-stamped) for the next heartbeat's ``last_error``."""
        message = self._redact(message)
        with self._hb_lock:
            self._hb_error = f"{self.clock.now().isoformat(timespec='seconds')} {message}"

    def heartbeat(self) -> None:
        """Stamp the Camera row now (also between sessions, so the dashboard sees the worker
        alive), with the counters gathered since the last heartbeat."""
        self._heartbeat()

    def _heartbeat(self) -> None:
        """Store the counters gathered since the last heartbeat; kept for later on failure."""
        with self._hb_lock:
            frames, faces = self._hb_frames, self._hb_faces
            last_frame, error = self._hb_last_frame, self._hb_error
        try:
            with self.session_factory() as session, session.begin():
                record_heartbeat(session, self.camera_id, at=self.clock.now(), frames=frames,
                                 faces=faces, last_frame_at=last_frame, error=error)
        except Exception as exc:
            logger.warning("camera %s: heartbeat not stored: %s", self.camera_name, exc)
            return
        with self._hb_lock:
            self._hb_frames -= frames
            self._hb_faces -= faces
            if self._hb_error == error:
                self._hb_error = None


def _frame_source(settings: Settings, source: str) -> FrameSource:
    """A video file as ``camera_file_playback`` and ``camera_file_loop`` say; a device or
    stream through OpenCV."""
    if is_video_file(source):
        return VideoFileSource(source, playback=settings.camera_file_playback,
                               loop=settings.camera_file_loop)
    return OpenCvFrameSource(source)


__all__ = ["CameraWorker", "TickReport"]
