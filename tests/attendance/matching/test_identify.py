"""Open-set identification over an in-memory gallery (synthetic vectors)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from attendance.matching import Gallery, identify, student_distances


def _gallery(vectors: list[list[float]], ids: list[int]) -> Gallery:
    return Gallery("dlib", "v1", len(vectors[0]), np.asarray(vectors, np.float32),
                   np.asarray(ids, np.int64))


def test_distance_to_a_student_is_the_minimum_over_their_photos() -> None:
    gallery = _gallery([[0, 0], [10, 0], [3, 4], [0, 1]], [7, 7, 9, 9])
    distances = student_distances(gallery, np.asarray([[9, 0]], np.float32))
    np.testing.assert_allclose(distances, [[1.0, math.sqrt(52)]], rtol=1e-5)
    assert list(gallery.students) == [7, 9]


def test_accepts_only_within_the_threshold() -> None:
    gallery = _gallery([[0, 0], [5, 0]], [1, 2])
    near, far = identify(gallery, np.asarray([[0.3, 0.4], [2.0, 2.0]], np.float32), 0.5)
    assert near.accepted
    assert near.decision == 1
    assert near.distance == pytest.approx(0.5)  # at the threshold counts as a match
    assert near.runner_up_distance == pytest.approx(math.hypot(4.7, 0.4), rel=1e-5)
    assert not far.accepted
    assert far.decision is None
    assert far.student_id == 1  # still reported as the nearest candidate


def test_one_bad_photo_does_not_hide_a_student() -> None:
    # Student 1 has a good photo and an outlier; the mean of the two would be 2.5 away.
    gallery = _gallery([[0, 0], [5, 0], [9, 9]], [1, 1, 2])
    (match,) = identify(gallery, np.asarray([[0.2, 0]], np.float32), 0.5)
    assert match.decision == 1


def test_empty_gallery_is_unknown() -> None:
    empty = Gallery.empty("dlib", "v1", 0)
    (match,) = identify(empty, np.zeros((1, 128), np.float32), 0.5)
    assert match.student_id is None
    assert not match.accepted
    assert math.isinf(match.distance)


def test_nearest_and_runner_up_agree_with_a_full_sort() -> None:
    """Hundreds of students (the partial sort path): the match and the runner-up are those
    a brute-force sort of every distance finds. Speed is measured by ``attendance bench
    speed``, not here."""
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(600, 128)).astype(np.float32)
    gallery = Gallery("dlib", "v1", 128, vectors, np.repeat(np.arange(200), 3))
    queries = np.concatenate([vectors[:1] + 0.01, rng.normal(size=(20, 128))]).astype(np.float32)
    matches = identify(gallery, queries, 0.5)
    assert matches[0].decision == 0
    for query, match in zip(queries, matches, strict=True):
        per_student = np.linalg.norm(vectors - query, axis=1).reshape(200, 3).min(axis=1)
        ranked = np.sort(per_student)
        assert match.student_id == int(np.argmin(per_student))
        assert match.distance == pytest.approx(ranked[0], abs=1e-3)
        assert match.runner_up_distance == pytest.approx(ranked[1], abs=1e-3)


def test_two_students_still_give_a_runner_up() -> None:
    gallery = _gallery([[0, 0], [3, 4]], [4, 8])
    (match,) = identify(gallery, np.asarray([[3, 4]], np.float32), 0.5)
    assert (match.student_id, match.runner_up_distance) == (8, pytest.approx(5.0))
