"""The shipped in-house CNN, the Embedder protocol, and clear loading errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from models import Embedder, FaceInput, ModelLoadError, load_embedders
from models.cnn.architecture import EMBEDDING_DIM, INPUT_SIZE, build_embedding_model
from models.cnn.embedder import (
    CROSS_FOLD_WEIGHTS,
    DEFAULT_WEIGHTS,
    TEST_TIME_ZOOM,
    KerasCnnEmbedder,
    embedding_views,
    load_embedding_model,
    zoom_matrix,
    zoomed,
)
from models.cnn.runtime import LiteRtModel, convert_to_litert
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


def test_version_names_the_weights_and_the_views(shipped: KerasCnnEmbedder) -> None:
    stem, digest, views = shipped.version.split("+")
    assert (stem, len(digest), views) == ("face_cnn_v2", 10, f"zoom{TEST_TIME_ZOOM:g}")
    assert shipped.name == "inhouse"
    assert shipped.dimension == EMBEDDING_DIM
    # Embeddings of other views are other versions: a gallery never mixes them.
    versions = {
        KerasCnnEmbedder(flip_average=flip, zoom=zoom).version
        for flip in (True, False) for zoom in (None, TEST_TIME_ZOOM, 1.2)
    }
    assert len(versions) == 6
    assert KerasCnnEmbedder(zoom=None).version == f"face_cnn_v2+{digest}"


@pytest.mark.parametrize("zoom", [1.0, 0.9, 2.5])
def test_zoom_must_enlarge(zoom: float) -> None:
    with pytest.raises(ValueError, match="zoom must be above 1"):
        KerasCnnEmbedder(zoom=zoom)


def test_views_are_averaged(shipped: KerasCnnEmbedder) -> None:
    """The default vector is the mean of four single-view vectors: the crop, its centre
    zoomed in (cut and enlarged here by OpenCV, not by the embedder's own resampling), and
    both mirrored."""
    import cv2  # noqa: PLC0415

    rng = np.random.default_rng(2)
    # Smooth random images, so that two bilinear resamplings agree to a grey level or so.
    crops = np.stack([
        cv2.resize(rng.integers(0, 256, (8, 8, 3), np.uint8), (INPUT_SIZE, INPUT_SIZE),
                   interpolation=cv2.INTER_CUBIC)
        for _ in range(3)
    ]).astype(np.uint8)
    single = KerasCnnEmbedder(flip_average=False, zoom=None)
    side = INPUT_SIZE / TEST_TIME_ZOOM
    start = (INPUT_SIZE - 1 - (side - 1)) / 2
    # Map output pixel centres 0..63 onto start..start+side-1 of the input, as crop_and_resize.
    scale = (side - 1) / (INPUT_SIZE - 1)
    matrix = np.array([[scale, 0, start], [0, scale, start]], np.float64)
    zoomed = np.stack([
        cv2.warpAffine(c, matrix, (INPUT_SIZE, INPUT_SIZE),
                       flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP) for c in crops
    ]).astype(np.uint8)
    views = [crops, zoomed, crops[:, :, ::-1], zoomed[:, :, ::-1]]
    expected = np.mean([single.embed_crops(np.ascontiguousarray(v)) for v in views], axis=0)
    got = shipped.embed_crops(crops)
    unzoomed = KerasCnnEmbedder(zoom=None).embed_crops(crops)
    assert np.abs(got - expected).max() < 0.1 * np.abs(got - unzoomed).max()


def test_zoom_resamples_as_tensorflow_crop_and_resize() -> None:
    """The zoomed view is TensorFlow's ``crop_and_resize`` of the central box, which the
    views were measured with (docs/model_card.md), to a grey level (rounding at .5)."""
    import tensorflow as tf  # noqa: PLC0415

    crops = np.random.default_rng(3).integers(0, 256, (4, INPUT_SIZE, INPUT_SIZE, 3), np.uint8)
    margin = (1.0 - 1.0 / TEST_TIME_ZOOM) / 2.0
    boxes = tf.constant([[margin, margin, 1.0 - margin, 1.0 - margin]] * len(crops))
    expected = tf.image.crop_and_resize(
        tf.cast(crops, tf.float32), boxes, tf.range(len(crops)), (INPUT_SIZE, INPUT_SIZE)
    ).numpy()
    expected = np.clip(np.rint(expected), 0, 255)
    got = zoomed(crops, TEST_TIME_ZOOM).astype(np.float64)
    assert np.abs(got - expected).max() <= 1
    assert (got != expected).mean() < 0.01
    np.testing.assert_allclose(zoom_matrix(INPUT_SIZE, TEST_TIME_ZOOM).sum(axis=1), 1.0,
                               rtol=1e-6)


def test_views() -> None:
    crops = np.random.default_rng(4).integers(0, 256, (2, INPUT_SIZE, INPUT_SIZE, 3), np.uint8)
    four = embedding_views(crops, flip_average=True, zoom=TEST_TIME_ZOOM)
    assert len(four) == 4
    np.testing.assert_array_equal(four[2], crops[:, :, ::-1])
    np.testing.assert_array_equal(four[3], four[1][:, :, ::-1])
    assert len(embedding_views(crops, flip_average=True, zoom=None)) == 2
    (alone,) = embedding_views(crops, flip_average=False, zoom=None)
    np.testing.assert_array_equal(alone, crops)


def test_litert_runs_the_keras_model() -> None:
    """The runtime's vectors are the Keras model's up to float rounding, for a single face
    and a batch (the interpreter re-plans its tensors when the batch size changes)."""
    model = load_embedding_model(DEFAULT_WEIGHTS)
    network = LiteRtModel(convert_to_litert(model))
    crops = np.random.default_rng(5).integers(0, 256, (9, INPUT_SIZE, INPUT_SIZE, 3), np.uint8)
    batch = crops.astype(np.float32)
    expected = model(batch, training=False).numpy()
    for part in (batch[:1], batch, batch[:1]):
        got = network(part)
        assert got.dtype == np.float32
        assert np.linalg.norm(got - expected[: len(part)], axis=1).max() < 1e-3
    # The output is a copy, not the interpreter's buffer that the next call overwrites.
    first = network(batch[:1])
    network(batch[1:2])
    np.testing.assert_array_equal(first, network(batch[:1]))


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


def test_runtime_failure_is_a_load_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import models.cnn.embedder as embedder_module  # noqa: PLC0415

    def broken(model: object) -> bytes:
        raise RuntimeError("converter exploded")

    monkeypatch.setattr(embedder_module, "convert_to_litert", broken)
    with pytest.raises(ModelLoadError, match="could not be prepared for LiteRT.*exploded"):
        KerasCnnEmbedder().embed_crops(np.zeros((1, INPUT_SIZE, INPUT_SIZE, 3), np.uint8))


def test_import_is_cheap() -> None:
    code = (
        "import sys, models, models.cnn, models.loading; "
        "heavy = [m for m in ('keras', 'tensorflow', 'ai_edge_litert', 'dlib', "
        "'face_recognition') "
        "if m in sys.modules]; print(heavy); sys.exit(1 if heavy else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
