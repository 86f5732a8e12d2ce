"""Models are never called from two threads at once: the app's model paths survive a thread
pool (the dashboard's request threads) and give the single-thread results."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.lfw_faces import ENROLLED, LfwFaces, lfw_root


def test_detection_and_both_embedders_are_safe_from_many_threads(
    request: pytest.FixtureRequest,
) -> None:
    faces = LfwFaces(lfw_root(request.config.cache))
    photos = [str(faces.path(person, n)) for person in ENROLLED[:4] for n in (1, 2)]
    done = subprocess.run([sys.executable, "-m", "tests.models.hammer", *photos],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, (done.returncode, done.stdout[-2000:], done.stderr[-2000:])
    assert "ok: 8 photos x 3 rounds on 8 threads" in done.stdout
