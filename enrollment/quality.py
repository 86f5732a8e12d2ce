"""Is this photo good enough to enroll? Exactly one face, big, well exposed and sharp enough.

Figures, all measured over the detected face box:

- face size: the box height in pixels of the decoded photo;
- exposure: the mean grey level, 0 (black) to 255 (white);
- sharpness: the variance of the Laplacian of the grey face, after shrinking the crop to at
  most :data:`SHARPNESS_HEIGHT` pixels high so the figure does not grow or shrink with the
  photo's resolution. On 30 LFW faces sharp photos measured 50-690 and the same photos
  blurred with a Gaussian of sigma 2 px measured 7-21, hence the default minimum of 20.

An image smaller than a face may be is refused first, as too small (not as "no face").
Checks run in that order (size, exposure, sharpness) because a dark face also looks blurred,
and the first failing check is the one reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from attendance.config import Settings
from attendance.detection import DetectedFace, detect_faces
from models import Box

from .errors import PhotoRejected

#: Face crops taller than this are shrunk before the Laplacian is taken, pixels.
SHARPNESS_HEIGHT = 128


@dataclass(frozen=True)
class QualityReport:
    """The one face of an accepted photo and its quality figures."""

    face: DetectedFace
    #: Height of the face box, pixels.
    face_pixels: int
    #: Variance of the Laplacian of the grey face (higher is sharper).
    sharpness: float
    #: Mean grey level of the face, 0-255.
    brightness: float

    @property
    def box(self) -> Box:
        return self.face.box


def assess_photo(
    image_rgb: NDArray[np.uint8], settings: Settings, *, filename: str
) -> QualityReport:
    """Find exactly one face in ``image_rgb`` and check it, or raise :class:`PhotoRejected`.

    Uses ``settings.detector`` and ``settings.detection_max_side`` for detection and
    ``min_face_pixels``, ``min_brightness``, ``max_brightness`` and ``min_sharpness`` as limits.
    """
    height, width = image_rgb.shape[:2]
    if min(height, width) < settings.min_face_pixels:
        # No face of the size needed fits: say so, rather than "no face found".
        raise PhotoRejected(
            "too_small",
            "%(filename)s: the image is only %(width)s×%(height)s pixels; a face must be at least "
            "%(min_face_pixels)s pixels high, so send a larger photo (at least %(best)s pixels "
            "on each side is best)",
            filename=filename, width=width, height=height, min_face_pixels=settings.min_face_pixels,
            best=3 * settings.min_face_pixels)
    faces = detect_faces(image_rgb, detector=settings.detector,
                         max_side=settings.detection_max_side)
    if not faces:
        raise PhotoRejected("no_face", "%(filename)s: no face found", filename=filename)
    if len(faces) > 1:
        raise PhotoRejected(
            "several_faces", "%(filename)s: %(count)s faces found, use a photo of one "
                             "person", filename=filename, count=len(faces)
        )
    face = faces[0]
    sharpness, brightness = face_figures(image_rgb, face.box)
    report = QualityReport(face=face, face_pixels=face.height, sharpness=sharpness,
                           brightness=brightness)
    _check(report, settings, filename)
    return report


def face_figures(image_rgb: NDArray[np.uint8], box: Box) -> tuple[float, float]:
    """(sharpness, brightness) of the face in ``box``; see the module docstring for units."""
    import cv2  # noqa: PLC0415 - heavy import, only when a photo is checked

    top, right, bottom, left = box
    crop = np.ascontiguousarray(image_rgb[top:bottom, left:right])
    grey = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    brightness = float(grey.mean())
    if grey.shape[0] > SHARPNESS_HEIGHT:
        scale = SHARPNESS_HEIGHT / grey.shape[0]
        size = (max(1, round(grey.shape[1] * scale)), SHARPNESS_HEIGHT)
        grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
    sharpness = float(cv2.Laplacian(grey, cv2.CV_64F).var())
    return sharpness, brightness


def _check(report: QualityReport, s: Settings, filename: str) -> None:
    if report.face_pixels < s.min_face_pixels:
        raise PhotoRejected(
            "face_too_small",
            "%(filename)s: face is %(face_pixels)s px high, at least %(min_face_pixels)s px "
            "needed; move closer or use a larger photo",
            filename=filename, face_pixels=report.face_pixels, min_face_pixels=s.min_face_pixels,
        )
    if report.brightness < s.min_brightness:
        raise PhotoRejected(
            "too_dark",
            "%(filename)s: face is too dark (mean grey %(brightness).0f, at least "
            "%(min_brightness).0f needed); add light",
            filename=filename, brightness=report.brightness, min_brightness=s.min_brightness,
        )
    if report.brightness > s.max_brightness:
        raise PhotoRejected(
            "too_bright",
            "%(filename)s: face is over-exposed (mean grey %(brightness).0f, at most "
            "%(max_brightness).0f allowed)",
            filename=filename, brightness=report.brightness, max_brightness=s.max_brightness,
        )
    if report.sharpness < s.min_sharpness:
        raise PhotoRejected(
            "blurry",
            "%(filename)s: face is blurred (sharpness %(sharpness).1f, at least "
            "%(min_sharpness).1f needed); hold the camera still and focus on the face",
            filename=filename, sharpness=report.sharpness, min_sharpness=s.min_sharpness,
        )


__all__ = ["QualityReport", "assess_photo", "face_figures"]
