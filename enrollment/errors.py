"""Why a photo was refused, as a code a program can act on and a message a person can read."""

from __future__ import annotations

from typing import Any

from attendance.errors import Conflict, InvalidInput


class PhotoRejected(InvalidInput):
    """One photo was refused; ``reason`` is a stable code, the message names the file and why.

    Codes: ``empty``, ``too_large``, ``too_many_pixels``, ``not_an_image``, ``corrupt``
    (decoding); ``too_small`` (no face of the size needed fits), ``no_face``,
    ``several_faces``, ``face_too_small``, ``blurry``, ``too_dark``,
    ``too_bright`` (quality); ``duplicate`` (almost surely another enrolled student) and
    ``lookalike`` (would be recognised as another enrolled student; stored once confirmed),
    see ``enrollment.duplicates``.
    """

    def __init__(self, reason: str, message: str, /, **params: Any) -> None:
        super().__init__(message, **params)
        self.reason = reason


class AlreadyEnrolled(Conflict):
    """The student number of a new enrollment is taken. ``student_id`` is set only when the
    asker may add photos to that student (the form then offers that step); otherwise the
    message is the same for every such number and says nothing about the student."""

    def __init__(self, message: str, student_id: int | None = None, /, **params: Any) -> None:
        super().__init__(message, **params)
        self.student_id = student_id


__all__ = ["AlreadyEnrolled", "PhotoRejected"]
