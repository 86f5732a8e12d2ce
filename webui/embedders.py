"""The face-embedding models used by the enrollment form, loaded once per app, lazily."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from flask import Flask, current_app

from attendance.config import Settings
from models import Embedder, load_embedders

_KEY = "attendance.embedders"


class _LazyEmbedders:
    """Builds the configured embedders on first use (they are heavy), then keeps them."""

    def __init__(self, settings: Settings, given: Sequence[Embedder] | None) -> None:
        self._settings = settings
        self._embedders: list[Embedder] | None = list(given) if given is not None else None
        self._lock = threading.Lock()

    def get(self) -> list[Embedder]:
        with self._lock:
            if self._embedders is None:
                self._embedders = load_embedders(
                    self._settings.embedders, dlib_jitters=self._settings.dlib_jitters
                )
            return self._embedders


def init_app(app: Flask, settings: Settings, given: Sequence[Embedder] | None) -> None:
    """Attach the app's embedders; ``given`` (tests) replaces the configured models."""
    app.extensions[_KEY] = _LazyEmbedders(settings, given)


def get_embedders() -> list[Embedder]:
    """The current app's embedders, loading them on the first call."""
    lazy: _LazyEmbedders = current_app.extensions[_KEY]
    return lazy.get()
