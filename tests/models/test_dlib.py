"""dlib's ResNet embedder and the five-point landmarks on a real LFW face."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models import FaceInput
from models.dlib_resnet import DlibResNetEmbedder
from models.landmarks import five_point_landmarks

pytestmark = pytest.mark.lfw
BOX = (70, 180, 180, 70)


@pytest.fixture(scope="module")
def face_image(lfw_subset: Path) -> np.ndarray:
    import face_recognition

    return np.asarray(face_recognition.load_image_file(str(next(lfw_subset.glob("Al_Gore/*.jpg")))))


def test_landmarks(face_image: np.ndarray) -> None:
    (points,) = five_point_landmarks(face_image, [BOX])
    assert points.shape == (5, 2)
    assert points.dtype == np.float32
    # Eyes above the nose, the image-right eye right of the image-left eye.
    assert points[4, 1] > points[:4, 1].max()
    assert points[0, 0] > points[2, 0]


def test_dlib_embedding(face_image: np.ndarray) -> None:
    embedder = DlibResNetEmbedder()
    out = embedder.embed([FaceInput(face_image, BOX), FaceInput(face_image, BOX)])
    assert out.shape == (2, 128)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out[0], out[1])
    assert embedder.embed([]).shape == (0, 128)


def test_jitters_validated() -> None:
    with pytest.raises(ValueError, match="num_jitters"):
        DlibResNetEmbedder(0)
