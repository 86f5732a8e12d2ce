"""The scene composer: deterministic, faces at the requested sizes, boxes inside the frame."""

from __future__ import annotations

import numpy as np
import pytest

from attendance.bench.scenes import FaceSpec, compose_at, compose_scene, tile_side


def _faces(heights: list[float], seed: int = 0) -> list[FaceSpec]:
    rng = np.random.default_rng(seed)
    return [FaceSpec(rng.integers(0, 256, (250, 250, 3), dtype=np.uint8), h, f"p{i}",
                     gain=1.1, blur_sigma=0.5 * (i % 2)) for i, h in enumerate(heights)]


def test_same_seed_gives_identical_scenes() -> None:
    faces = _faces([60, 80, 100, 150, 70])
    a = compose_scene(faces, np.random.default_rng(7))
    b = compose_scene(faces, np.random.default_rng(7))
    c = compose_scene(faces, np.random.default_rng(8))
    assert a.frame.tobytes() == b.frame.tobytes()
    assert a.faces == b.faces
    assert a.frame.tobytes() != c.frame.tobytes()


def test_faces_have_the_requested_heights_and_lie_inside_the_frame() -> None:
    heights = [60.0, 75.0, 90.0, 110.0, 130.0, 150.0]
    scene = compose_scene(_faces(heights), np.random.default_rng(1))
    assert scene.frame.shape == (720, 1280, 3)
    assert scene.frame.dtype == np.uint8
    by_label = {f.label: f for f in scene.faces}
    for i, wanted in enumerate(heights):
        box = by_label[f"p{i}"].box
        top, right, bottom, left = box
        assert 0 <= top < bottom <= 720
        assert 0 <= left < right <= 1280
        assert bottom - top == pytest.approx(wanted, abs=2)


def test_boxes_do_not_overlap() -> None:
    scene = compose_scene(_faces([60 + 3 * i for i in range(25)]), np.random.default_rng(2))
    boxes = [f.box for f in scene.faces]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            overlap_h = min(a[2], b[2]) - max(a[0], b[0])
            overlap_w = min(a[1], b[1]) - max(a[3], b[3])
            assert overlap_h <= 0 or overlap_w <= 0


def test_too_many_faces_are_shrunk_together_to_fit() -> None:
    scene = compose_scene(_faces([150.0] * 30), np.random.default_rng(3))
    heights = {f.height for f in scene.faces}
    assert len(scene.faces) == 30
    assert max(heights) < 150
    assert max(heights) - min(heights) <= 1


def test_the_pasted_face_shows_the_image() -> None:
    grey = FaceSpec(np.full((250, 250, 3), 200, np.uint8), 100, "grey")
    scene = compose_scene([grey], np.random.default_rng(4), noise_sigma=0.0)
    top, right, bottom, left = scene.faces[0].box
    assert np.abs(scene.frame[top:bottom, left:right].astype(int) - 200).max() <= 1
    assert tile_side(96) == 170


def test_a_wrong_image_size_is_refused() -> None:
    bad = FaceSpec(np.zeros((100, 100, 3), np.uint8), 80, "bad")
    with pytest.raises(ValueError, match="250x250"):
        compose_scene([bad], np.random.default_rng(0))


def test_faces_pasted_at_their_seats_are_centred_there_even_at_the_edge() -> None:
    faces = _faces([40.0, 120.0, 80.0])
    where = [(300.0, 100.0), (900.0, 700.0), (5.0, 400.0)]  # the last one reaches off frame
    scene = compose_at([(f, x, y) for f, (x, y) in zip(faces, where, strict=True)],
                       np.random.default_rng(0), (1920, 1080))
    assert scene.frame.shape == (1080, 1920, 3)
    by_label = {f.label: f.box for f in scene.faces}
    for i, (x, y) in enumerate(where[:2]):
        top, right, bottom, left = by_label[f"p{i}"]
        assert abs((left + right) / 2 - x) <= 1
        assert abs((top + bottom) / 2 - y) <= 1
        assert bottom - top == pytest.approx(faces[i].face_height, abs=2)
    assert by_label["p2"][3] == 0  # clipped to the frame
    same = compose_at([(faces[0], 300.0, 100.0)], np.random.default_rng(1), (640, 360),
                      background=np.random.default_rng(9))
    again = compose_at([(faces[0], 300.0, 100.0)], np.random.default_rng(2), (640, 360),
                       background=np.random.default_rng(9))
    assert abs(float(same.frame.mean()) - float(again.frame.mean())) < 1  # one wall colour
