"""The face models the camera uses, as the domain's ``RecognitionSetup``: which students
it can recognise is judged against the same models and versions as its gallery."""

from __future__ import annotations

from flask import current_app

from attendance.config import Settings
from attendance.services.recognisability import RecognitionSetup

from .embedders import get_embedders


def recognition_setup() -> RecognitionSetup:
    """The configured models (current versions) and fusion rule."""
    settings: Settings = current_app.extensions["attendance.settings"]
    return RecognitionSetup({e.name: e.version for e in get_embedders()}, settings.fusion_rule)


__all__ = ["recognition_setup"]
