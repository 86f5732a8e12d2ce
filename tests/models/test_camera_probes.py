"""Camera-like probes of LFW images: shrunk, compressed, described again by both models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.cnn.camera_probes import compute_camera_probes, load_camera_probes
from models.cnn.features import compute_features


@pytest.mark.lfw
def test_camera_probes_of_lfw_images(lfw_subset: Path, tmp_path: Path) -> None:
    features = compute_features(lfw_subset, tmp_path / "features.npz", workers=1)
    rows = np.arange(1, len(features.person), 2)
    cache = tmp_path / "camera.npz"
    probes = compute_camera_probes(lfw_subset, features, rows, cache, workers=1)
    assert probes.crops.shape == (len(rows), 64, 64, 3)
    assert probes.dlib.shape == (len(rows), 128)
    np.testing.assert_array_equal(probes.rows, rows)
    # A shrunk face is still that face to dlib, but not exactly the same descriptor...
    gaps = np.linalg.norm(probes.dlib - features.dlib[rows], axis=1)
    assert 0.0 < float(np.median(gaps)) < 0.45
    # ...and the crop is the same face, softer: close to the original crop, not equal.
    diff = np.abs(probes.crops.astype(np.float64) - features.crops[rows]).mean(axis=(1, 2, 3))
    assert float(np.median(diff)) < 20.0  # another person's crop differs by about 50
    assert float(diff.min()) > 0.0
    # Cached: the same rows load back; other rows are refused.
    again = compute_camera_probes(lfw_subset, features, rows, cache, workers=1)
    np.testing.assert_array_equal(again.dlib, probes.dlib)
    with pytest.raises(ValueError, match="delete it"):
        load_camera_probes(cache, rows[:-1])
    np.savez(tmp_path / "other.npz", version=np.int32(99), rows=rows)
    with pytest.raises(ValueError, match="delete it"):
        load_camera_probes(tmp_path / "other.npz", rows)
