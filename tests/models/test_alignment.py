"""Alignment: output shape, determinism, landmarks landing on the template, box fallback."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from models.alignment import TEMPLATE, align_face, similarity_transform


@pytest.fixture
def image() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(250, 250, 3), dtype=np.uint8)


#: dlib-ordered landmarks of a slightly rotated face in a 250x250 image.
LANDMARKS = np.array([[153, 110], [137, 112], [97, 115], [113, 114], [126, 145]], dtype=np.float32)


@pytest.mark.parametrize("size", [64, 96, 150])
def test_shape_and_dtype(image: np.ndarray, size: int) -> None:
    crop = align_face(image, LANDMARKS, size)
    assert crop.shape == (size, size, 3)
    assert crop.dtype == np.uint8


def test_deterministic(image: np.ndarray) -> None:
    first = align_face(image, LANDMARKS, 64)
    for _ in range(3):
        assert np.array_equal(align_face(image.copy(), LANDMARKS.copy(), 64), first)


def test_landmarks_land_on_template() -> None:
    matrix = similarity_transform(LANDMARKS, 64)
    assert matrix is not None
    mapped = cv2.transform(LANDMARKS[None], matrix)[0]
    # The five measured points are not exactly similar to the template; a pixel or two is fine.
    assert np.abs(mapped - TEMPLATE * 64).max() < 2.5


def test_transform_is_a_similarity() -> None:
    matrix = similarity_transform(LANDMARKS, 64)
    assert matrix is not None
    (a, b), (c, d) = matrix[:, 0], matrix[:, 1]
    assert a == pytest.approx(d)
    assert b == pytest.approx(-c)


def test_fallback_to_box(image: np.ndarray) -> None:
    crop = align_face(image, None, 64, box=(70, 180, 180, 70))
    assert crop.shape == (64, 64, 3)
    assert np.array_equal(crop, align_face(image, None, 64, box=(70, 180, 180, 70)))


def test_box_crop_centres_the_box() -> None:
    image = np.zeros((200, 200, 3), dtype=np.uint8)
    image[80:120, 80:120] = 255  # a white square exactly the box
    crop = align_face(image, None, 64, box=(80, 120, 120, 80))
    white = np.argwhere(crop[:, :, 0] > 127)
    assert np.allclose(white.mean(axis=0), 31.5, atol=1.0)


def test_needs_landmarks_or_box(image: np.ndarray) -> None:
    with pytest.raises(ValueError, match="landmarks or a box"):
        align_face(image, None, 64)
