"""dlib's native models, never called from two threads at once.

dlib's model objects (the HOG and CNN face detectors, the 5-point shape predictor, the ResNet
face encoder) are not safe to call from two threads at the same time: the process dies with
a segmentation fault. A web server's request threads (two teachers enrolling at once) and a
camera worker would do exactly that. Every dlib model call in this project goes through a
:class:`DlibModels` from :func:`dlib_models`, which holds one lock per model object.

Two ways were measured under the web server's thread pool (``attendance bench threads``,
figures in ``docs/reliability.md``): one shared set of models with a lock per model
(``"lock"``), and one set of models per thread (``"per-thread"``, no waiting but a copy of
every model in each thread). :data:`DEFAULT_STRATEGY` is the one chosen. Whatever the
strategy, each :class:`DlibModels` serialises the calls on its own objects.

The model files come from ``face_recognition_models`` (shipped in its wheel); nothing is
downloaded. Models load on first use, so importing this module costs nothing.
"""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from .protocol import Box

logger = logging.getLogger(__name__)

Strategy = Literal["lock", "per-thread"]
STRATEGIES: tuple[Strategy, ...] = ("lock", "per-thread")
#: The strategy :func:`dlib_models` uses unless told otherwise (see the module docstring).
DEFAULT_STRATEGY: Strategy = "lock"


class DlibModels:
    """One set of dlib's face models, each model object behind its own lock.

    Boxes are (top, right, bottom, left) pixels; images are C-contiguous (H, W, 3) uint8 RGB.
    """

    def __init__(self) -> None:
        self._locks = {name: threading.Lock() for name in ("hog", "cnn", "shape", "encoder")}
        self._objects: dict[str, Any] = {}
        self._load_lock = threading.Lock()

    def _model(self, name: str) -> Any:
        with self._load_lock:
            if name not in self._objects:
                self._objects[name] = _load(name)
            return self._objects[name]

    def detect(self, image: NDArray[np.uint8], *, model: str = "hog",
               upsample: int = 1) -> list[Box]:
        """Face boxes found by the ``"hog"`` or ``"cnn"`` detector, clipped to the image.

        ``upsample`` is how many times dlib doubles the image first (finds smaller faces).
        """
        if model not in ("hog", "cnn"):
            raise ValueError(f"unknown dlib detector {model!r}; valid: hog, cnn")
        detector = self._model(model)
        with self._locks[model]:
            found = detector(image, upsample)
        rects = [f.rect for f in found] if model == "cnn" else list(found)
        height, width = image.shape[:2]
        return [(max(r.top(), 0), min(r.right(), width), min(r.bottom(), height),
                 max(r.left(), 0)) for r in rects]

    def shapes(self, image: NDArray[np.uint8], boxes: Sequence[Box]) -> list[Any]:
        """dlib's 5-point ``full_object_detection`` of each box (inputs of :meth:`encode`)."""
        import dlib  # noqa: PLC0415 - only once models are used

        predictor = self._model("shape")
        with self._locks["shape"]:
            return [predictor(image, dlib.rectangle(int(left), int(top), int(right),
                                                    int(bottom)))
                    for top, right, bottom, left in boxes]

    def landmarks(self, image: NDArray[np.uint8],
                  boxes: Sequence[Box]) -> list[NDArray[np.float32]]:
        """Five (x, y) landmarks per box as (5, 2) float32, in dlib's order."""
        return [np.asarray([(p.x, p.y) for p in shape.parts()], dtype=np.float32).reshape(5, 2)
                for shape in self.shapes(image, boxes)]

    def encode(self, image: NDArray[np.uint8], boxes: Sequence[Box], *,
               num_jitters: int = 1) -> NDArray[np.float32]:
        """The 128-d ResNet descriptor of each box, (N, 128) float32 (dlib aligns each face
        to its own 150x150 chip from the 5-point shape)."""
        out = np.zeros((len(boxes), 128), dtype=np.float32)
        if not boxes:
            return out
        shapes = self.shapes(image, boxes)
        encoder = self._model("encoder")
        with self._locks["encoder"]:
            for i, shape in enumerate(shapes):
                out[i] = np.asarray(encoder.compute_face_descriptor(image, shape, num_jitters),
                                    dtype=np.float32)
        return out

    def encode_chips(self, chips: Sequence[NDArray[np.uint8]]) -> NDArray[np.float32]:
        """The 128-d ResNet descriptor of each face chip already aligned by dlib
        (``dlib.get_face_chip``: 150x150, C-contiguous uint8 RGB), (N, 128) float32."""
        out = np.zeros((len(chips), 128), dtype=np.float32)
        if not chips:
            return out
        encoder = self._model("encoder")
        with self._locks["encoder"]:
            vectors = encoder.compute_face_descriptor(list(chips))
        out[:] = np.asarray([np.asarray(v) for v in vectors], dtype=np.float32)
        return out


def _load(name: str) -> Any:
    """Load one dlib model object from the files ``face_recognition_models`` ships."""
    import dlib  # noqa: PLC0415 - heavy native module, only when a model is used

    if name == "hog":
        model = dlib.get_frontal_face_detector()
    else:
        with warnings.catch_warnings():
            # face_recognition_models imports pkg_resources, which warns on import; the
            # warning is the dependency's, and must not fail a `-W error` run.
            warnings.filterwarnings("ignore", "pkg_resources is deprecated", UserWarning)
            import face_recognition_models as files  # noqa: PLC0415

        if name == "cnn":
            model = dlib.cnn_face_detection_model_v1(files.cnn_face_detector_model_location())
        elif name == "shape":
            model = dlib.shape_predictor(files.pose_predictor_five_point_model_location())
        else:
            model = dlib.face_recognition_model_v1(files.face_recognition_model_location())
    logger.debug("loaded dlib model %s in thread %s", name, threading.current_thread().name)
    return model


_shared = DlibModels()
_per_thread = threading.local()
_strategy: list[Strategy] = [DEFAULT_STRATEGY]


def use_strategy(strategy: Strategy) -> None:
    """Make :func:`dlib_models` follow ``strategy`` in this process (the thread benchmark)."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; valid: {', '.join(STRATEGIES)}")
    _strategy[0] = strategy


def dlib_models() -> DlibModels:
    """The :class:`DlibModels` to use from the calling thread: the process's shared one
    (``"lock"``) or the calling thread's own (``"per-thread"``), by :func:`use_strategy`
    (default :data:`DEFAULT_STRATEGY`)."""
    if _strategy[0] == "lock":
        return _shared
    models: DlibModels | None = getattr(_per_thread, "models", None)
    if models is None:
        models = _per_thread.models = DlibModels()
    return models


__all__ = ["DEFAULT_STRATEGY", "STRATEGIES", "DlibModels", "Strategy", "dlib_models",
           "use_strategy"]
