"""dlib's ResNet face embedder (``dlib_face_recognition_resnet_model_v1``) behind :class:`Embedder`.

``face_recognition`` loads every dlib model when it is imported, so it is imported only on the
first :meth:`DlibResNetEmbedder.embed` call. dlib aligns each face itself (its own 150x150 chip
from the 5-point landmarks it finds inside the given box), so only the image and box are used.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .protocol import FaceInput

logger = logging.getLogger(__name__)


@cache
def _face_recognition() -> Any:
    import face_recognition  # noqa: PLC0415 - heavy: loads dlib's models on import

    logger.info("loaded dlib face models through face_recognition")
    return face_recognition


class DlibResNetEmbedder:
    """128-d dlib ResNet embeddings; Euclidean distance <= 0.6 is dlib's customary "same person".

    ``num_jitters`` is how many randomly jittered copies of each face dlib averages: 1 is fast
    (about 90 ms per face on one CPU core); higher is slightly more accurate and N times slower.
    """

    name = "dlib"
    version = "dlib_face_recognition_resnet_model_v1"
    dimension = 128

    def __init__(self, num_jitters: int = 1) -> None:
        if num_jitters < 1:
            raise ValueError(f"num_jitters must be >= 1, got {num_jitters}")
        self.num_jitters = num_jitters

    def embed(self, faces: Sequence[FaceInput]) -> NDArray[np.float32]:
        """Embed ``faces``; returns float32 of shape (len(faces), 128)."""
        out = np.zeros((len(faces), self.dimension), dtype=np.float32)
        if not faces:
            return out
        fr = _face_recognition()
        for i, face in enumerate(faces):
            encodings = fr.face_encodings(
                np.ascontiguousarray(face.image),
                known_face_locations=[tuple(int(v) for v in face.box)],
                num_jitters=self.num_jitters,
                model="small",
            )
            out[i] = np.asarray(encodings[0], dtype=np.float32)
        return out
