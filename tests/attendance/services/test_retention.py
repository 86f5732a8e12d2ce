"""The retention purge: deletes exactly what has expired, and nothing more when run again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from attendance.config import Settings
from attendance.db import AuditLog, FacePhoto, ReviewDecision, Sighting, Student, Verdict
from attendance.errors import ConfigError
from attendance.services.audit import record_audit
from attendance.services.retention import PurgeReport, purge_expired
from attendance.services.thumbnail_retention import (
    ThumbnailKind,
    retention_days,
    thumbnail_kind,
)
from attendance.thumbnail_files import thumbnail_path
from attendance.worker.scheduler import PURGE_JOB_ID, add_purge_job, purge_job
from tests.attendance.cli_helpers import make_cli
from tests.conftest import make_settings

from .factories import add_course_with_session

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def _sighting(session: Session, settings: Settings, class_session_id: int,
              student_id: int | None, days_ago: float, key: str) -> None:
    seen = NOW - timedelta(days=days_ago)
    session.add(Sighting(class_session_id=class_session_id, seen_at=seen, student_id=student_id,
                         box_top=0, box_right=1, box_bottom=1, box_left=0, dedupe_key=key))
    path = thumbnail_path(settings.instance_path, seen, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"jpeg")


def _seed(factory: sessionmaker[Session], settings: Settings) -> None:
    with factory.begin() as session:
        _, class_session, (ada,) = add_course_with_session(session, students=1)
        for days, student, key in ((400, ada.id, "old-known"), (400, None, "old-unknown"),
                                   (40, ada.id, "month-known"), (3, ada.id, "known"),
                                   (3, None, "unknown"), (0.1, None, "fresh-unknown")):
            _sighting(session, settings, class_session.id, student, days, key)
        relative = "photos/ada/p.jpg"
        (settings.instance_path / relative).parent.mkdir(parents=True)
        (settings.instance_path / relative).write_bytes(b"jpeg")
        session.add(FacePhoto(student_id=ada.id, content_hash="a" * 64, file_path=relative,
                              width=9, height=9, face_pixels=9, sharpness=9.0,
                              brightness=99.0))
        for days in (200, 179):
            record_audit(session, actor="x", action=f"a{days}").at = NOW - timedelta(days=days)


def _thumbnails(settings: Settings) -> set[str]:
    root = settings.instance_path / "thumbnails"
    return {p.stem for p in root.rglob("*.jpg")}


def test_purge_follows_the_schedule_and_is_idempotent(
    session_factory: sessionmaker[Session], tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path, keep_photos=False, sighting_retention_days=365,
                             thumbnail_retention_days=30, unknown_thumbnail_retention_days=1,
                             audit_retention_days=180)
    _seed(session_factory, settings)
    with session_factory.begin() as session:
        first = purge_expired(session, settings, NOW)
    # 400 days: the sightings go; 40 days: the thumbnail goes; 3 days: only the unknown one.
    assert first == PurgeReport(sightings=2, thumbnails=3, unknown_thumbnails=1, photo_files=1,
                                audit_entries=1)
    assert _thumbnails(settings) == {"known", "fresh-unknown"}
    assert not (settings.instance_path / "photos/ada/p.jpg").exists()
    with session_factory() as session:
        keys = set(session.scalars(select(Sighting.dedupe_key)))
        assert keys == {"month-known", "known", "unknown", "fresh-unknown"}
        assert session.scalars(select(FacePhoto.file_path)).one() is None
        assert session.get(Student, 1) is not None
        actions = set(session.scalars(select(AuditLog.action)))
        assert actions == {"a179", "retention.purge"}
    with session_factory.begin() as session:
        second = purge_expired(session, settings, NOW)
    assert second == PurgeReport()
    assert second.total == 0
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(AuditLog)) == 2
    assert _thumbnails(settings) == {"known", "fresh-unknown"}


def test_kept_photos_stay_when_keep_photos_is_on(
    session_factory: sessionmaker[Session], settings: Settings,
) -> None:
    _seed(session_factory, settings)
    with session_factory.begin() as session:
        report = purge_expired(session, settings, NOW)
    assert report.photo_files == 0
    assert (settings.instance_path / "photos/ada/p.jpg").is_file()


def test_the_worker_schedules_a_daily_purge_job(
    session_factory: sessionmaker[Session], settings: Settings,
) -> None:
    scheduler = BackgroundScheduler(timezone=UTC)
    add_purge_job(scheduler, settings, session_factory)
    job = scheduler.get_job(PURGE_JOB_ID)
    assert job is not None
    assert job.trigger.interval == timedelta(hours=24)
    with session_factory.begin() as session:
        record_audit(session, actor="x", action="ancient").at = datetime(2000, 1, 1, tzinfo=UTC)
    purge_job(settings, session_factory)
    with session_factory() as session:
        assert list(session.scalars(select(AuditLog.action))) == ["retention.purge"]


def test_attendance_purge_command(tmp_path: Path) -> None:
    cli = make_cli(tmp_path)
    with cli.session() as session, session.begin():
        record_audit(session, actor="x", action="ancient").at = datetime(2000, 1, 1, tzinfo=UTC)
    result = cli("purge")
    assert result.exit_code == 0, result.output
    assert "1 audit entries" in result.output
    again = cli("purge")
    assert ("0 sightings, 0 thumbnails, 0 unknown thumbnails, 0 review thumbnails, 0 photo "
            "files, 0 audit entries") \
        in again.output


def test_the_schedule_is_validated(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="audit_retention_days.*at least 180"):
        make_settings(tmp_path, audit_retention_days=179)
    with pytest.raises(ConfigError, match="unknown_thumbnail_retention_days"):
        make_settings(tmp_path, unknown_thumbnail_retention_days=31)
    with pytest.raises(ConfigError, match="sighting_retention_days"):
        make_settings(tmp_path, sighting_retention_days=0)


def _unsure(candidate: int) -> dict[str, Any]:
    """A face just beyond the candidate's threshold: the review queue asks about it."""
    return {"dlib": {"distance": 0.6, "threshold": 0.55, "version": "v", "candidate": candidate,
                     "accepted": False}}


def test_faces_kept_for_review_stay_their_own_days(
    session_factory: sessionmaker[Session], tmp_path: Path,
) -> None:
    """Unsure faces stay ``review_thumbnail_retention_days`` (14), unknown ones 1 day, and a
    face a teacher said "not X" to goes like an unknown one."""
    settings = make_settings(tmp_path, thumbnail_retention_days=30,
                             review_thumbnail_retention_days=14,
                             unknown_thumbnail_retention_days=1)
    with session_factory.begin() as session:
        _, class_session, (ada,) = add_course_with_session(session, students=1)
        for days, student, key, evidence in (
                (3, None, "unsure-3", _unsure(ada.id)), (13, None, "unsure-13", _unsure(ada.id)),
                (15, None, "unsure-15", _unsure(ada.id)), (3, None, "rejected-3", _unsure(ada.id)),
                (3, None, "unknown-3", {}), (20, ada.id, "known-20", {})):
            _sighting(session, settings, class_session.id, student, days, key)
            sighting = session.scalars(select(Sighting).where(Sighting.dedupe_key == key)).one()
            sighting.evidence = evidence
        session.flush()
        rejected = session.scalars(select(Sighting).where(
            Sighting.dedupe_key == "rejected-3")).one()
        session.add(ReviewDecision(sighting_id=rejected.id, student_id=ada.id,
                                   decision=Verdict.REJECTED.value, actor="alice"))
    with session_factory.begin() as session:
        report = purge_expired(session, settings, NOW)
    assert (report.thumbnails, report.unknown_thumbnails, report.review_thumbnails) == (0, 2, 1)
    assert _thumbnails(settings) == {"unsure-3", "unsure-13", "known-20"}
    with session_factory.begin() as session:
        assert purge_expired(session, settings, NOW).total == 0


def test_thumbnail_kinds(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, keep_thumbnails=False)
    unsure = Sighting(student_id=None, evidence=_unsure(7))
    counted_unsure = Sighting(student_id=7, evidence={
        "dlib": {"distance": 0.3, "threshold": 0.55, "version": "v", "candidate": 7,
                 "accepted": True},
        "inhouse": {"distance": 0.9, "threshold": 0.8, "version": "w", "candidate": 7,
                    "accepted": False}})
    sure = Sighting(student_id=7, evidence={})
    assert thumbnail_kind(settings, None, False) is ThumbnailKind.UNKNOWN
    assert thumbnail_kind(settings, unsure, False) is ThumbnailKind.REVIEW
    assert thumbnail_kind(settings, unsure, True) is ThumbnailKind.UNKNOWN
    assert thumbnail_kind(settings, counted_unsure, False) is ThumbnailKind.REVIEW
    assert thumbnail_kind(settings, sure, False) is ThumbnailKind.RECOGNISED
    keeping = make_settings(tmp_path, keep_thumbnails=True)
    assert thumbnail_kind(keeping, counted_unsure, False) is ThumbnailKind.RECOGNISED
    assert retention_days(settings, ThumbnailKind.REVIEW) == 14


def test_the_review_retention_is_validated(tmp_path: Path) -> None:
    assert make_settings(tmp_path).review_thumbnail_retention_days == 14
    with pytest.raises(ConfigError, match="review_thumbnail_retention_days"):
        make_settings(tmp_path, review_thumbnail_retention_days=-1)
    with pytest.raises(ConfigError, match="unknown_thumbnail_retention_days"):
        make_settings(tmp_path, review_thumbnail_retention_days=2,
                      unknown_thumbnail_retention_days=3)
    assert make_settings(tmp_path, review_thumbnail_retention_days=0
                         ).longest_thumbnail_retention_days == 30
