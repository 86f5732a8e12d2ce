"""Exactly one face, and the quality checks, on real and doctored LFW faces."""

from __future__ import annotations

import re

import cv2
import numpy as np
import pytest

from attendance.config import Settings
from enrollment import PhotoRejected
from enrollment.quality import assess_photo
from tests.lfw_faces import LfwFaces

pytestmark = pytest.mark.lfw  # every test here uses LFW faces


def _rejected(pixels: np.ndarray, settings: Settings, reason: str) -> str:
    with pytest.raises(PhotoRejected) as caught:
        assess_photo(np.ascontiguousarray(pixels), settings, filename="photo.jpg")
    assert caught.value.reason == reason
    assert str(caught.value).startswith("photo.jpg: ")
    return str(caught.value)


def test_good_face_report(lfw: LfwFaces, settings: Settings) -> None:
    report = assess_photo(lfw.rgb("George_W_Bush", 1), settings, filename="gwb.jpg")
    assert 90 <= report.face_pixels <= 130
    assert report.sharpness > settings.min_sharpness
    assert settings.min_brightness < report.brightness < settings.max_brightness
    assert report.box == report.face.box


def test_no_face(settings: Settings) -> None:
    noise = np.random.default_rng(0).integers(0, 256, (250, 250, 3), dtype=np.uint8)
    assert _rejected(noise, settings, "no_face") == "photo.jpg: no face found"
    _rejected(np.full((200, 200, 3), 128, np.uint8), settings, "no_face")


def test_an_image_smaller_than_a_face_is_too_small_not_faceless(
    lfw: LfwFaces, settings: Settings,
) -> None:
    tiny = cv2.resize(lfw.rgb("George_W_Bush", 1), (24, 24), interpolation=cv2.INTER_AREA)
    message = _rejected(tiny, settings, "too_small")
    assert "the image is only 24×24 pixels; a face must be at least 60 pixels high" in message
    assert "no face" not in message
    _rejected(np.full((300, 59, 3), 128, np.uint8), settings, "too_small")  # too narrow


def test_two_faces(lfw: LfwFaces, settings: Settings) -> None:
    pair = np.hstack([lfw.rgb("George_W_Bush", 1), lfw.rgb("Colin_Powell", 1)])
    message = _rejected(pair, settings, "several_faces")
    assert "2 faces found, use a photo of one person" in message


def test_tiny_face(lfw: LfwFaces, settings: Settings) -> None:
    canvas = np.full((250, 250, 3), 128, np.uint8)
    canvas[:100, :100] = cv2.resize(lfw.rgb("Tony_Blair", 1), (100, 100),
                                    interpolation=cv2.INTER_AREA)
    message = _rejected(canvas, settings, "face_too_small")
    assert re.search(r"face is (4\d|5\d) px high, at least 60 px needed", message)


def test_blurred_face(lfw: LfwFaces, settings: Settings) -> None:
    blurred = cv2.GaussianBlur(lfw.rgb("George_W_Bush", 1), (0, 0), 3)
    message = _rejected(blurred, settings, "blurry")
    assert "at least 20.0 needed" in message


def test_dark_and_over_exposed_faces(lfw: LfwFaces, settings: Settings) -> None:
    face = lfw.rgb("George_W_Bush", 1)
    assert "at least 40 needed" in _rejected((face * 0.25).astype(np.uint8), settings,
                                             "too_dark")
    bright = np.clip(face.astype(int) + 150, 0, 255).astype(np.uint8)
    assert "at most 220 allowed" in _rejected(bright, settings, "too_bright")
