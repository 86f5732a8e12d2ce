"""The shipped in-house CNN, the Embedder protocol, and clear loading errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from models import Embedder, FaceInput, ModelLoadError, load_embedders
from models.cnn.architecture import EMBEDDING_DIM, INPUT_SIZE, build_embedding_model
from models.cnn.embedder import CROSS_FOLD_WEIGHTS, DEFAULT_WEIGHTS, KerasCnnEmbedder
from models.dlib_resnet import DlibResNetEmbedder


@pytest.fixture(scope="module")
def shipped() -> KerasCnnEmbedder:
    return KerasCnnEmbedder()


def test_shipped_weights_exist() -> None:
    assert DEFAULT_WEIGHTS.is_file(), "models/cnn/weights/face_cnn_v2.keras must ship"
    for name, path in CROSS_FOLD_WEIGHTS.items():
        assert path.is_file(), f"the cross-fold model {name} must ship at {path}"


def test_shipped_outputs_float32_in_dlib_space(shipped: KerasCnnEmbedder) -> None:
    crops = np.random.default_rng(0).integers(0, 256, (5, INPUT_SIZE, INPUT_SIZE, 3), np.uint8)
    out = shipped.embed_crops(crops)
    assert out.shape == (5, EMBEDDING_DIM)
    assert out.dtype == np.float32
    # Distilled from dlib's descriptors, whose norms are about 1.4 (not unit vectors).
    assert np.all((np.linalg.norm(out, axis=1) > 0.5) & (np.linalg.norm(out, axis=1) < 3.0))
    np.testing.assert_array_equal(out, shipped.embed_crops(crops))  # deterministic


def test_embed_faces_with_and_without_landmarks(shipped: KerasCnnEmbedder) -> None:
    image = np.random.default_rng(1).integers(0, 256, (250, 250, 3), np.uint8)
    points = np.array([[153, 112], [137, 113], [97, 114], [113, 114], [125, 145]], np.float32)
    faces = [FaceInput(image, (70, 180, 180, 70), points), FaceInput(image, (70, 180, 180, 70))]
    out = shipped.embed(faces)
    assert out.shape == (2, EMBEDDING_DIM)
    assert out.dtype == np.float32
    assert shipped.embed([]).shape == (0, EMBEDDING_DIM)


def test_version_names_the_weights(shipped: KerasCnnEmbedder) -> None:
    assert shipped.version.startswith("face_cnn_v2+")
    assert len(shipped.version) == len("face_cnn_v2+") + 10
    assert shipped.name == "inhouse"
    assert shipped.dimension == EMBEDDING_DIM


def test_protocol() -> None:
    assert isinstance(KerasCnnEmbedder(), Embedder)
    assert isinstance(DlibResNetEmbedder(), Embedder)
    assert not isinstance(object(), Embedder)
    dlib = DlibResNetEmbedder()
    assert (dlib.name, dlib.dimension) == ("dlib", 128)


def test_load_embedders() -> None:
    dlib, inhouse = load_embedders(["dlib", "inhouse"], dlib_jitters=2)
    assert isinstance(dlib, DlibResNetEmbedder)
    assert dlib.num_jitters == 2
    assert isinstance(inhouse, KerasCnnEmbedder)
    with pytest.raises(ValueError, match="valid names: dlib, inhouse"):
        load_embedders(["facenet"])


def test_missing_weights_say_what_to_do(tmp_path: Path) -> None:
    embedder = KerasCnnEmbedder(tmp_path / "nope.keras")
    with pytest.raises(ModelLoadError, match=r"not found at .*nope\.keras.*train"):
        embedder.embed_crops(np.zeros((1, INPUT_SIZE, INPUT_SIZE, 3), np.uint8))


def test_mismatched_weights_are_rejected(tmp_path: Path) -> None:
    other = build_embedding_model((INPUT_SIZE, INPUT_SIZE, 3), embedding_dim=EMBEDDING_DIM // 2)
    path = tmp_path / "other.keras"
    other.save(str(path))
    with pytest.raises(ModelLoadError, match="does not fit the in-house CNN architecture"):
        KerasCnnEmbedder(path).embed_crops(np.zeros((1, INPUT_SIZE, INPUT_SIZE, 3), np.uint8))


def test_corrupt_weights_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.keras"
    path.write_bytes(b"not a keras file")
    with pytest.raises(ModelLoadError, match="does not fit"):
        KerasCnnEmbedder(path).embed_crops(np.zeros((1, INPUT_SIZE, INPUT_SIZE, 3), np.uint8))


def test_import_is_cheap() -> None:
    code = (
        "import sys, models, models.cnn, models.loading; "
        "heavy = [m for m in ('keras', 'tensorflow', 'dlib', 'face_recognition') "
        "if m in sys.modules]; print(heavy); sys.exit(1 if heavy else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
