"""Settings: the only place that reads the environment or a configuration file.

Every key can be given in a TOML file (``ATTENDANCE_CONFIG=/path/config.toml``, else
``<instance>/config.toml`` when it exists) or as an environment variable named
``ATTENDANCE_<KEY>`` in upper case; the environment wins. ``config.toml.example`` at the
repository root documents every key. Unknown keys and invalid values stop the program at
start-up with a message naming the setting.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError

ENV_PREFIX = "ATTENDANCE_"
DETECTORS = ("hog", "cnn", "haar")
FILE_PLAYBACKS = ("realtime", "frames")
EMBEDDERS = ("dlib", "inhouse")
FUSION_RULES = ("fused", "fused_score", "both", "either", "dlib", "inhouse")
#: The rules that decide with the calibrated fused score (``attendance.matching.fused``).
FUSED_RULES = ("fused", "fused_score")
ENVIRONMENTS = ("production", "development")
#: ATTENDANCE_* variables that are not settings: the config file's path, and the locations
#: the tests, benchmarks and training read (LFW, the test PostgreSQL, screenshot folders).
NON_SETTING_VARIABLES = frozenset({"CONFIG", "LFW_DIR", "SCREENSHOT_DIR"})
NON_SETTING_PREFIXES = ("TEST_", "BENCH_")
#: The audit log is kept at least this many days (6 months), whatever the setting says.
MIN_AUDIT_RETENTION_DAYS = 180
SECRET_KEY_FILE = "secret_key"  # noqa: S105  (a file name, not a secret)


@dataclass(frozen=True)
class Settings:
    """The whole configuration of one process. Build it with :func:`load_settings`."""

    instance_path: Path = Path("instance")
    #: SQLAlchemy URL; empty means a SQLite file ``attendance.sqlite3`` in the instance folder.
    database_url: str = ""
    #: SQLite only: seconds the dashboard and the command line wait for another program's
    #: write lock before giving up with "database is locked".
    sqlite_busy_timeout_seconds: float = 30.0
    #: The same for the camera worker, kept short: while another program holds the lock the
    #: worker keeps its sightings in memory and goes on capturing on time instead of waiting
    #: (each capture touches the database about five times).
    worker_sqlite_busy_timeout_seconds: float = 2.0
    #: Flask secret; empty means generated once and kept in ``<instance>/secret_key``.
    secret_key: str = field(default="", repr=False)
    #: Send the dashboard's session cookie over HTTPS only; turn on behind a TLS proxy.
    cookie_secure: bool = False
    #: ``production`` (default) refuses to serve with a weak secret key or debug mode on;
    #: ``development`` only warns.
    environment: str = "production"
    #: Reverse proxies in front of the dashboard whose X-Forwarded-For/-Proto are trusted
    #: (0: none). Needed behind a TLS proxy for client addresses and HTTPS detection.
    trusted_proxies: int = 0
    #: The dashboard's address as other devices reach it (``https://host[:port][/path]``),
    #: used in links typed on another device such as the check-in page; empty: the
    #: request's own address.
    public_url: str = ""
    #: A signed-in session ends after this many minutes without a request.
    session_idle_minutes: int = 30
    #: ... and at the latest this many hours after signing in, active or not.
    session_absolute_hours: int = 12
    #: The camera worker's token (``attendance camera token NAME``); ``attendance worker``
    #: refuses to start without the right one for its camera.
    worker_token: str = field(default="", repr=False)
    #: IANA zone used for new courses when none is given.
    timezone: str = "UTC"
    #: ``hog`` (dlib HOG, default), ``cnn`` (dlib CNN, slow on CPU) or ``haar`` (OpenCV).
    detector: str = "hog"
    #: Photos (enrollment, ``attendance identify``) whose longer side exceeds this many
    #: pixels are downscaled for detection.
    detection_max_side: int = 1280
    #: Worker: camera frames whose longer side exceeds this many pixels are downscaled for
    #: detection (1920 keeps a 1080p camera's 30-60 px back-row faces findable).
    detection_frame_max_side: int = 1920
    #: Worker: share (0-1) of a camera frame, from its top, scanned at twice its size to find
    #: faces under about 60 px high, the back rows of a classroom filmed from the front; the
    #: rest is scanned at its own size, about 5 times faster. 1 scans everything upsampled.
    detection_upsample_band: float = 0.5
    #: Embedding models used for enrollment and matching, in order. Every photo is embedded
    #: by each (``attendance embeddings backfill`` adds a model enabled later).
    embedders: tuple[str, ...] = ("dlib", "inhouse")
    #: dlib re-samples each face this many times; higher is slower and slightly more stable.
    dlib_jitters: int = 1
    #: Euclidean distance at or below which a dlib match is accepted (lower is stricter).
    dlib_threshold: float = 0.55
    #: Same for the in-house CNN; unset means the threshold measured with its weights (the
    #: honest cross-fold evaluation, ``<weights>.fusion.json`` beside them).
    inhouse_threshold: float | None = None
    #: Stricter thresholds for "this photo is already somebody else" at enrollment. The
    #: in-house one keeps dlib's ratio to the matching threshold (0.35 / 0.55) against
    #: face_cnn_v2's calibrated threshold (0.38; its distances are in dlib's units).
    dlib_duplicate_threshold: float = 0.35
    inhouse_duplicate_threshold: float = 0.25
    #: How two models' decisions combine: ``fused`` (one calibrated score from both distances,
    #: ``attendance.matching.fused``, and dlib's own acceptance stands), ``fused_score`` (that
    #: score alone), both must agree, either suffices, or one alone.
    fusion_rule: str = "fused"
    #: The fused rules accept a fused distance (minus the logit of p(same person)) at or
    #: below this; unset means the threshold shipped with the in-house weights.
    fused_threshold: float | None = None
    #: ... and only when the runner-up student's fused distance is at least this much larger
    #: (the best e**margin times likelier); a face closer to two students than this is left
    #: unknown, whatever accepts it. Unset means the margin shipped with the in-house weights.
    fused_margin: float | None = None
    #: Enrollment quality checks.
    min_face_pixels: int = 60
    min_sharpness: float = 20.0
    min_brightness: float = 40.0
    max_brightness: float = 220.0
    #: Keep enrollment photo files under ``<instance>/photos``.
    keep_photos: bool = True
    #: Upload limits for one image.
    max_image_bytes: int = 15 * 1024 * 1024
    max_image_pixels: int = 40_000_000
    #: Most photos one enrollment form (one request) may send.
    max_photos_per_upload: int = 5
    #: Worker: seconds between captured frames, sightings needed, minutes before start.
    capture_interval_seconds: float = 5.0
    min_sightings: int = 2
    capture_grace_minutes: int = 10
    #: Worker: a face that sits where a face confidently identified in the previous frame
    #: sat inherits that identity instead of being embedded again (``attendance.worker.
    #: tracking``); its sighting says so and from which frame and box it came.
    track_faces: bool = True
    #: ... but every tracked face is embedded again at least every this many frames,
    track_reverify_frames: int = 6
    #: ... and as soon as its box overlaps its previous one, or the one it was last embedded
    #: in, by less than this (intersection over union, 0-1),
    track_min_iou: float = 0.5
    #: ... or it looks less like it did then than this (correlation, -1 to 1, of small grey
    #: crops aligned on the landmarks): someone else in the seat, or a turned head.
    track_min_similarity: float = 0.85
    #: Worker, a video file as the camera: ``realtime`` shows the frame at the time elapsed
    #: since the file was opened (at the file's own frame rate), as the lesson was filmed;
    #: ``frames`` the next frame at every capture.
    camera_file_playback: str = "realtime"
    #: ... and start the file again at its end (else the camera counts as stopped, and is
    #: reopened from the start after the reconnect wait).
    camera_file_loop: bool = False
    #: Worker: seconds between checks of the database for new or changed sessions (1-60).
    worker_refresh_seconds: float = 30.0
    #: Worker: a camera read taking longer than this many seconds counts as hung.
    camera_read_timeout_seconds: float = 10.0
    #: Worker: a picture identical (byte for byte) for this many seconds counts as a frozen
    #: camera and is reconnected.
    camera_frozen_seconds: float = 15.0
    #: Worker: longest wait between camera reconnect attempts, seconds (doubling from 1 s).
    camera_backoff_max_seconds: float = 60.0
    #: Worker: the niceness (0-19) ``attendance serve`` and ``attendance worker`` give camera
    #: worker processes, so the dashboard gets the CPU first (where the OS allows it).
    worker_nice: int = 10
    #: Worker: sightings kept in memory while the database is unreachable (oldest dropped).
    worker_spool_capacity: int = 10000
    #: Worker: a finished session whose camera delivered analysed frames for less than this
    #: share (0-1) of its capture ticks is flagged incomplete and nobody is marked absent.
    min_frame_coverage: float = 0.9
    #: Minutes a session's check-in code (the non-biometric path) stays valid (1-240).
    checkin_code_minutes: int = 10
    #: Id of the key that encrypts new face templates and face images (AES-256-GCM). Keys
    #: live in ``<template_key_dir>/<id>.key`` (created, mode 0600, on first use); older
    #: ids stay readable there, so keys rotate with ``attendance keys rotate``.
    template_key_id: str = "k1"
    #: Folder of the template keys; empty means ``<instance>/keys``. Keep it out of backups
    #: of the database (a dump alone then reveals no template).
    template_key_dir: str = ""
    #: The current key itself (base64 of 32 bytes, e.g. ATTENDANCE_TEMPLATE_KEY from a
    #: secret store); empty means read or create the key file.
    template_key: str = field(default="", repr=False)
    #: Read embedding rows stored in plain form before encryption existed. Turn off once
    #: ``attendance keys rotate`` has encrypted them: a plain row is then refused, so nobody
    #: can plant a vector by writing to the database.
    template_plaintext_readable: bool = True
    #: Local port of the worker's Prometheus metrics; 0 turns them off.
    metrics_port: int = 0
    #: Keep face thumbnails of every sighting, and for how many days.
    keep_thumbnails: bool = False
    thumbnail_retention_days: int = 30
    #: Days a thumbnail of an unsure face (one the review queue asks a teacher about) is
    #: kept, whatever ``keep_thumbnails`` says, so the teacher sees the face they judge;
    #: 0 keeps none (the queue then shows distances only).
    review_thumbnail_retention_days: int = 14
    #: Days a thumbnail of an unknown face (no student matched) is kept; at most
    #: ``thumbnail_retention_days`` and ``review_thumbnail_retention_days``.
    unknown_thumbnail_retention_days: int = 1
    #: Days sightings (what the camera saw, with its evidence) are kept; attendance records
    #: are not affected.
    sighting_retention_days: int = 365
    #: Days audit-log entries are kept before the purge removes them (at least 180).
    audit_retention_days: int = 365
    #: Version of the privacy notice shown when consent is recorded (stored with each consent).
    consent_notice_version: str = "1"

    @property
    def effective_database_url(self) -> str:
        """The database URL, defaulting to the SQLite file in the instance folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.instance_path / 'attendance.sqlite3').resolve()}"

    @property
    def longest_thumbnail_retention_days(self) -> int:
        """Days after which no thumbnail of any kind is kept any more."""
        return max(self.thumbnail_retention_days, self.review_thumbnail_retention_days,
                   self.unknown_thumbnail_retention_days)

    def threshold_for(self, model_name: str) -> float:
        """Acceptance threshold (Euclidean distance) for ``model_name``: the setting, else
        (in-house) the one calibrated with the shipped weights (``models.fusion_params``)."""
        value = getattr(self, f"{model_name}_threshold")
        if value is None:
            from models.fusion_params import shipped_fusion_params  # noqa: PLC0415 - lazy

            return shipped_fusion_params().threshold_for(model_name)
        return float(value)

    def duplicate_threshold_for(self, model_name: str) -> float:
        """Strict threshold used by the enrollment duplicate check for ``model_name``."""
        return float(getattr(self, f"{model_name}_duplicate_threshold"))


_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}
#: Settings whose unset value (None) means "the calibrated value shipped with the weights".
_OPTIONAL_FLOATS = frozenset({"inhouse_threshold", "fused_threshold", "fused_margin"})


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> Settings:
    """Build :class:`Settings` from file, environment and ``overrides`` (in rising priority).

    Creates the instance folder and, when no secret key is configured, a random one kept in
    ``<instance>/secret_key`` so sessions survive restarts. Raises :class:`ConfigError`.
    """
    env = os.environ if environ is None else environ
    raw: dict[str, Any] = {}
    path = config_file or (
        Path(env[f"{ENV_PREFIX}CONFIG"]) if f"{ENV_PREFIX}CONFIG" in env else None
    )
    instance_hint = env.get(f"{ENV_PREFIX}INSTANCE_PATH") or (overrides or {}).get("instance_path")
    if path is None:
        candidate = Path(instance_hint or "instance") / "config.toml"
        path = candidate if candidate.is_file() else None
    if path is not None:
        raw.update(_read_toml(path))
    for key, value in env.items():
        name = key[len(ENV_PREFIX) :]
        if not key.startswith(ENV_PREFIX) or name in NON_SETTING_VARIABLES:
            continue
        if not name.startswith(NON_SETTING_PREFIXES):
            raw[name.lower()] = value
    raw.update(overrides or {})

    values = {name: _coerce(name, value) for name, value in raw.items()}
    settings = Settings(**values)
    _validate(settings)
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    if not settings.secret_key:
        settings = dataclasses.replace(settings, secret_key=_stored_secret(settings.instance_path))
    return settings


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"configuration file {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"configuration file {path} is not valid TOML: {exc}") from exc


def _coerce(name: str, value: Any) -> Any:
    """Turn a file or environment value into the field's type, or fail naming the setting."""
    if name not in _FIELDS:
        valid = ", ".join(sorted(_FIELDS))
        raise ConfigError(f"unknown setting {name!r} ({ENV_PREFIX}{name.upper()}); valid: {valid}")
    default = _FIELDS[name].default
    try:
        if name in _OPTIONAL_FLOATS:
            return None if value is None or str(value).strip() == "" else float(value)
        if isinstance(default, bool):
            return _to_bool(value)
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
        if isinstance(default, Path):
            return Path(value)
        if isinstance(default, tuple):
            items = value.split(",") if isinstance(value, str) else list(value)
            return tuple(str(item).strip() for item in items if str(item).strip())
        if not isinstance(value, str):
            raise TypeError(f"expected text, got {type(value).__name__}")
        return value
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name!r} has an invalid value {value!r}: {exc}") from exc


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError("use true or false")


def _validate(s: Settings) -> None:
    def fail(name: str, why: str) -> None:
        raise ConfigError(f"setting {name!r} ({ENV_PREFIX}{name.upper()}) {why}")

    try:
        ZoneInfo(s.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        fail("timezone", f"is not a known IANA time zone: {s.timezone!r}")
    if s.detector not in DETECTORS:
        fail("detector", f"must be one of {', '.join(DETECTORS)}, not {s.detector!r}")
    if not 0.0 <= s.detection_upsample_band <= 1.0:
        fail("detection_upsample_band", "must be a share between 0 and 1 (0.5 = top half)")
    if not 0.0 < s.track_min_iou <= 1.0:
        fail("track_min_iou", "must be an overlap above 0 and at most 1")
    if not -1.0 <= s.track_min_similarity <= 1.0:
        fail("track_min_similarity", "must be a correlation between -1 and 1")
    if s.camera_file_playback not in FILE_PLAYBACKS:
        fail("camera_file_playback", f"must be one of {', '.join(FILE_PLAYBACKS)}")
    if not s.embedders:
        fail("embedders", "must name at least one model")
    for name in s.embedders:
        if name not in EMBEDDERS:
            fail("embedders", f"names an unknown model {name!r}; valid: {', '.join(EMBEDDERS)}")
    if len(set(s.embedders)) != len(s.embedders):
        fail("embedders", "names a model twice")
    if s.environment not in ENVIRONMENTS:
        fail("environment", f"must be one of {', '.join(ENVIRONMENTS)}")
    if not 0 <= s.trusted_proxies <= 5:
        fail("trusted_proxies", "must be between 0 and 5")
    if s.fusion_rule not in FUSION_RULES:
        fail("fusion_rule", f"must be one of {', '.join(FUSION_RULES)}")
    for name in (
        "dlib_threshold",
        "inhouse_threshold",
        "dlib_duplicate_threshold",
        "inhouse_duplicate_threshold",
    ):
        value = getattr(s, name)
        if value is not None and not 0.0 < value < 4.0:
            fail(name, "must be a distance between 0 and 4")
    if s.fused_threshold is not None and not math.isfinite(s.fused_threshold):
        fail("fused_threshold", "must be a finite number (minus a logit, e.g. -2.9)")
    if s.fused_margin is not None and not 0.0 <= s.fused_margin <= 20.0:
        fail("fused_margin", "must be a number between 0 (no margin) and 20 (a logit)")
    positive = (
        "detection_max_side",
        "detection_frame_max_side",
        "track_reverify_frames",
        "dlib_jitters",
        "min_face_pixels",
        "max_image_bytes",
        "max_image_pixels",
        "max_photos_per_upload",
        "capture_interval_seconds",
        "min_sightings",
        "thumbnail_retention_days",
        "unknown_thumbnail_retention_days",
        "sighting_retention_days",
        "camera_read_timeout_seconds",
        "sqlite_busy_timeout_seconds",
        "worker_sqlite_busy_timeout_seconds",
        "camera_frozen_seconds",
        "camera_backoff_max_seconds",
        "worker_spool_capacity",
        "session_idle_minutes",
        "session_absolute_hours",
    )
    for name in positive:
        if getattr(s, name) <= 0:
            fail(name, "must be greater than 0")
    if not 0 <= s.worker_nice <= 19:
        fail("worker_nice", "must be between 0 (same priority as the dashboard) and 19")
    if not 1.0 <= s.worker_refresh_seconds <= 60.0:
        fail("worker_refresh_seconds", "must be between 1 and 60 seconds")
    if s.unknown_thumbnail_retention_days > s.thumbnail_retention_days:
        fail("unknown_thumbnail_retention_days", "must not exceed thumbnail_retention_days")
    if s.review_thumbnail_retention_days < 0:
        fail("review_thumbnail_retention_days", "must not be negative (0 keeps none)")
    if 0 < s.review_thumbnail_retention_days < s.unknown_thumbnail_retention_days:
        fail("unknown_thumbnail_retention_days",
             "must not exceed review_thumbnail_retention_days")
    if s.audit_retention_days < MIN_AUDIT_RETENTION_DAYS:
        fail("audit_retention_days", f"must be at least {MIN_AUDIT_RETENTION_DAYS} (6 months)")
    if not s.consent_notice_version.strip() or len(s.consent_notice_version) > 50:
        fail("consent_notice_version", "must be 1 to 50 characters")
    if not 0.0 <= s.min_frame_coverage <= 1.0:
        fail("min_frame_coverage", "must be a share between 0 and 1 (0.9 = 90 %)")
    if not 1 <= s.checkin_code_minutes <= 240:
        fail("checkin_code_minutes", "must be between 1 and 240 minutes")
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", s.template_key_id):
        fail("template_key_id", "must be 1-32 letters, digits, '-' or '_' (it names a file)")
    if s.capture_grace_minutes < 0:
        fail("capture_grace_minutes", "must not be negative")
    if not 0 <= s.metrics_port <= 65535:
        fail("metrics_port", "must be a TCP port (0 turns metrics off)")
    if not 0 <= s.min_brightness < s.max_brightness <= 255:
        fail("min_brightness", "and max_brightness must satisfy 0 <= min < max <= 255")
    if s.public_url and not re.fullmatch(r"https?://[^\s/?#@]+(/[^\s?#]*)?", s.public_url):
        fail("public_url", "must be an http:// or https:// address such as "
             "https://attendance.school.example, without a query")
    if s.database_url and "://" not in s.database_url:
        fail("database_url", "must be a SQLAlchemy URL such as postgresql+psycopg://host/db")


def _stored_secret(instance_path: Path) -> str:
    """Read the instance's secret key, creating it (mode 0600) on first use."""
    path = instance_path / SECRET_KEY_FILE
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key)
    return key


__all__ = ["Settings", "load_settings"]
