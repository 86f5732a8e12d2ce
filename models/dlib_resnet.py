"""dlib's ResNet face embedder (``dlib_face_recognition_resnet_model_v1``) behind :class:`Embedder`.

The model is called through :mod:`models.dlib_models` (loaded on first use, never called from
two threads at once). dlib aligns each face itself (its own 150x150 chip from the 5-point
landmarks it finds inside the given box), so only the image and box are used; the result is
the same as ``face_recognition.face_encodings(..., model="small")``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from .dlib_models import dlib_models
from .protocol import FaceInput


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
        models = dlib_models()
        for i, face in enumerate(faces):
            box = (int(face.box[0]), int(face.box[1]), int(face.box[2]), int(face.box[3]))
            out[i] = models.encode(np.ascontiguousarray(face.image), [box],
                                   num_jitters=self.num_jitters)[0]
        return out
