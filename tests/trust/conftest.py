"""Fixtures of the trust proofs: the dashboard fixtures of ``tests/webui`` (reused, not
copied) with an embedder whose vectors never collide, and two LFW faces."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from flask import Flask
from numpy.typing import NDArray
from sqlalchemy.orm import Session, sessionmaker

from attendance.config import Settings
from models import Embedder, FaceInput, load_embedders
from tests.lfw_faces import LfwFaces, lfw_root
from tests.webui.conftest import (  # noqa: F401  (fixtures, found by pytest by name)
    _fast_password_hashing,
    auth,
    classroom,
    client,
    db_kind,
    people,
)
from webui import create_app


class RandomEmbedder:
    """A stand-in face model giving every face a random unit vector: no two photos look
    alike, so the duplicate check never interferes with what a test is about."""

    name = "dlib"
    version = "trust-test"
    dimension = 128

    def __init__(self) -> None:
        self._rng = np.random.default_rng(42)

    def embed(self, faces: Sequence[FaceInput]) -> NDArray[np.float32]:
        vectors = self._rng.normal(size=(len(faces), self.dimension)).astype(np.float32)
        unit: NDArray[np.float32] = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        return unit


@pytest.fixture
def app(settings: Settings, session_factory: sessionmaker[Session]) -> Flask:
    return create_app(settings, overrides={
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "SESSION_FACTORY": session_factory,
        "EMBEDDERS": [RandomEmbedder()],
    })


@pytest.fixture(scope="session")
def two_faces(lfw_faces: LfwFaces) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
    """Two different people's LFW photos (250x250 RGB); skips without LFW."""
    return lfw_faces.rgb("Colin_Powell", 1), lfw_faces.rgb("Tony_Blair", 1)


@pytest.fixture(scope="session")
def lfw_faces(request: pytest.FixtureRequest) -> LfwFaces:
    """The LFW faces of :mod:`tests.lfw_faces` (skips without LFW)."""
    assert request.config.cache is not None
    return LfwFaces(lfw_root(request.config.cache))


@pytest.fixture(scope="session")
def dlib_model() -> Embedder:
    """The real dlib ResNet model, loaded once."""
    return load_embedders(["dlib"])[0]
