"""Fixtures of the enrollment tests: LFW faces and a session-cached dlib embedder."""

from __future__ import annotations

import pytest

from models.dlib_resnet import DlibResNetEmbedder
from tests.lfw_faces import CachingEmbedder, LfwFaces, lfw_root


@pytest.fixture(scope="session")
def lfw(request: pytest.FixtureRequest) -> LfwFaces:
    """LFW images of the test people (skips when LFW is absent)."""
    return LfwFaces(lfw_root(request.config.cache))


@pytest.fixture(scope="session")
def dlib_embedder() -> CachingEmbedder:
    """The real dlib embedder, caching each face's embedding for the whole session."""
    return CachingEmbedder(DlibResNetEmbedder(num_jitters=1))
