"""The contract every face-embedding model fulfils.

A face reaches an embedder as a :class:`FaceInput`: the whole RGB image it was found in, its
box and, where the detector pipeline found them, five landmarks. Each model aligns the face
its own way (dlib builds its own 150x150 chip; the in-house CNN warps the landmarks onto a
canonical template), so the caller never has to know how a model wants its pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

#: A face box in ``face_recognition``'s convention: (top, right, bottom, left), pixels.
Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class FaceInput:
    """One face to embed.

    ``image`` is an RGB ``uint8`` array of shape (H, W, 3), C-contiguous. ``box`` is
    (top, right, bottom, left) in that image's pixels. ``landmarks`` is a (5, 2) float32
    array of (x, y) points from dlib's five-point shape predictor (eye corners and nose
    base), or ``None`` when not computed.
    """

    image: NDArray[np.uint8]
    box: Box
    landmarks: NDArray[np.float32] | None = None


@runtime_checkable
class Embedder(Protocol):
    """A face-embedding model.

    Distances between two embeddings of one model are Euclidean; a smaller distance means
    more alike. Distances of different models are not comparable with each other.
    """

    @property
    def name(self) -> str:
        """Stable short name stored with every embedding (``"dlib"``, ``"inhouse"``)."""
        ...

    @property
    def version(self) -> str:
        """Version of the weights; embeddings of different versions are never compared."""
        ...

    @property
    def dimension(self) -> int:
        """Length of one embedding vector."""
        ...

    def embed(self, faces: Sequence[FaceInput]) -> NDArray[np.float32]:
        """Embed ``faces``; returns a float32 array of shape (len(faces), dimension)."""
        ...
