"""Face detection with the three detectors on a real LFW face, and the downscale mapping."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from attendance.detection import (
    DetectedFace,
    _map_back,
    bgr_to_rgb,
    detect_faces,
    face_inputs,
)
from attendance.worker.tracking import box_iou
from tests.lfw_faces import LfwFaces

pytestmark = pytest.mark.lfw


def _centre(face: DetectedFace) -> tuple[float, float]:
    top, right, bottom, left = face.box
    return (left + right) / 2, (top + bottom) / 2


def _assert_face_in_middle(face: DetectedFace, size: int) -> None:
    # LFW deep-funneled images put the face in the middle of the 250x250 frame.
    x, y = _centre(face)
    assert abs(x - size / 2) < size * 0.12
    assert abs(y - size / 2) < size * 0.15
    assert 0.25 * size < face.height < 0.75 * size
    assert face.landmarks.shape == (5, 2)
    assert face.landmarks.dtype == np.float32
    top, right, bottom, left = face.box
    xs, ys = face.landmarks[:, 0], face.landmarks[:, 1]
    assert (xs > left - 10).all()
    assert (xs < right + 10).all()
    assert (ys > top - 10).all()
    assert (ys < bottom + 10).all()


@pytest.mark.parametrize("detector", ["hog", "haar"])
def test_fast_detectors_find_the_one_face(lfw: LfwFaces, detector: str) -> None:
    faces = detect_faces(lfw.rgb("George_W_Bush", 1), detector=detector)
    assert len(faces) == 1
    _assert_face_in_middle(faces[0], 250)


def test_cnn_detector_on_a_small_image(lfw: LfwFaces) -> None:
    # The CNN is slow on a CPU: run it once, at 125x125 (downscaled by max_side).
    image = lfw.rgb("Colin_Powell", 1)
    faces = detect_faces(image, detector="cnn", max_side=125)
    assert len(faces) == 1
    _assert_face_in_middle(faces[0], 250)


def test_boxes_are_mapped_back_from_a_downscaled_frame(lfw: LfwFaces) -> None:
    image = lfw.rgb("Tony_Blair", 1)
    big = np.ascontiguousarray(cv2.resize(image, (1000, 1000), interpolation=cv2.INTER_CUBIC))
    direct = detect_faces(image)[0]
    scaled = detect_faces(big, max_side=250)  # detected at 250x250, reported at 1000x1000
    assert len(scaled) == 1
    for mine, reference in zip(scaled[0].box, direct.box, strict=True):
        assert abs(mine - 4 * reference) <= 8
    # landmarks are located on the full-resolution frame
    assert np.abs(scaled[0].landmarks - 4 * direct.landmarks).max() < 16


def test_map_back_clips_to_the_image() -> None:
    assert _map_back((-5, 130, 60, -3), 0.5, 200, 250) == (0, 250, 120, 0)
    assert _map_back((10, 20, 30, 5), 1.0, 100, 100) == (10, 20, 30, 5)


def test_largest_face_first_and_inputs(lfw: LfwFaces) -> None:
    left = lfw.rgb("George_W_Bush", 2)
    right = cv2.resize(lfw.rgb("Colin_Powell", 2), (200, 200), interpolation=cv2.INTER_AREA)
    canvas = np.zeros((250, 450, 3), np.uint8)
    canvas[:, :250] = left
    canvas[25:225, 250:] = right
    faces = detect_faces(canvas)
    assert len(faces) == 2
    assert faces[0].height >= faces[1].height
    assert _centre(faces[0])[0] < 250 < _centre(faces[1])[0]
    inputs = face_inputs(canvas, faces)
    assert [i.box for i in inputs] == [f.box for f in faces]
    assert inputs[0].landmarks is faces[0].landmarks
    assert inputs[0].image.flags.c_contiguous


def test_bgr_frames_become_contiguous_rgb(lfw: LfwFaces) -> None:
    rgb = lfw.rgb("Donald_Rumsfeld", 1)
    bgr = np.ascontiguousarray(rgb[:, :, ::-1])
    converted = bgr_to_rgb(bgr)
    assert converted.flags.c_contiguous
    np.testing.assert_array_equal(converted, rgb)
    assert len(detect_faces(converted)) == 1


def test_no_face_and_bad_input() -> None:
    assert detect_faces(np.full((120, 160, 3), 128, np.uint8)) == []
    with pytest.raises(ValueError, match="unknown detector"):
        detect_faces(np.zeros((10, 10, 3), np.uint8), detector="mtcnn")
    with pytest.raises(ValueError, match="RGB"):
        detect_faces(np.zeros((10, 10), np.uint8))


def test_only_the_top_band_is_upsampled(lfw: LfwFaces) -> None:
    """A 40 px face at the top needs upsampling; a face across the band's edge and a large
    one below are found by either scan, and each face is reported once."""
    canvas = np.full((600, 800, 3), 110, np.uint8)
    small = cv2.resize(lfw.rgb("Colin_Powell", 1), (104, 104), interpolation=cv2.INTER_AREA)
    across = cv2.resize(lfw.rgb("George_W_Bush", 1), (200, 200), interpolation=cv2.INTER_AREA)
    canvas[20:124, 20:124] = small
    canvas[200:400, 300:500] = across  # its face spans the band's edge at y = 300
    canvas[340:590, 530:780] = lfw.rgb("Tony_Blair", 1)

    def found(band: float) -> list[tuple[int, int, int, int]]:
        return sorted(f.box for f in detect_faces(canvas, upsample_band=band))

    everywhere, banded, nowhere = found(1.0), found(0.5), found(0.0)
    assert len(everywhere) == 3
    assert len(banded) == 3
    assert len(nowhere) == 2  # the small face needs the upsampled scan
    assert all(b[0] > 150 for b in nowhere)
    for mine, reference in zip(banded, everywhere, strict=True):  # the same faces
        assert box_iou(mine, reference) > 0.6
    with pytest.raises(ValueError, match="upsample_band"):
        detect_faces(canvas, upsample_band=1.5)
