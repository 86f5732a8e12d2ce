"""Build embedders by name: the one place that maps configuration names to model classes."""

from __future__ import annotations

from collections.abc import Sequence

from .protocol import Embedder

#: Names accepted by :func:`load_embedders`.
EMBEDDER_NAMES = ("dlib", "inhouse")


def load_embedders(names: Sequence[str], *, dlib_jitters: int = 1) -> list[Embedder]:
    """Return one embedder per name, in order. Weights load lazily on first ``embed``.

    ``"dlib"`` is dlib's ResNet (``dlib_jitters`` jittered copies averaged per face);
    ``"inhouse"`` the shipped Keras CNN. Unknown names raise ValueError listing valid ones.
    """
    unknown = [n for n in names if n not in EMBEDDER_NAMES]
    if unknown:
        raise ValueError(f"unknown embedder(s) {unknown}; valid names: {', '.join(EMBEDDER_NAMES)}")
    embedders: list[Embedder] = []
    for name in names:
        if name == "dlib":
            from .dlib_resnet import DlibResNetEmbedder  # noqa: PLC0415 - keep imports cheap

            embedders.append(DlibResNetEmbedder(num_jitters=dlib_jitters))
        else:
            from .cnn.embedder import KerasCnnEmbedder  # noqa: PLC0415 - keep imports cheap

            embedders.append(KerasCnnEmbedder())
    return embedders
