"""Errors raised by the ``models`` package, with messages that say what to do next."""

from __future__ import annotations


class ModelError(Exception):
    """Base class of every error raised by ``models``."""


class ModelLoadError(ModelError):
    """A model's weights are missing or do not fit its architecture."""


class DatasetNotFoundError(ModelError, FileNotFoundError):
    """A data set file or directory (LFW images, ``pairs.txt``) is absent."""
