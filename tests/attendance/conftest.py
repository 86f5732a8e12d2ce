"""Fixtures of the ``attendance`` tests: LFW faces for detection."""

from __future__ import annotations

import pytest

from tests.lfw_faces import LfwFaces, lfw_root


@pytest.fixture(scope="session")
def lfw(request: pytest.FixtureRequest) -> LfwFaces:
    """LFW images of the test people (skips when LFW is absent)."""
    return LfwFaces(lfw_root(request.config.cache))
