"""Why a photo was refused, as a code a program can act on and a message a person can read."""

from __future__ import annotations

from attendance.errors import InvalidInput


class PhotoRejected(InvalidInput):
    """One photo was refused; ``reason`` is a stable code, the message names the file and why.

    Codes: ``empty``, ``too_large``, ``too_many_pixels``, ``not_an_image``, ``corrupt``
    (decoding); ``no_face``, ``several_faces``, ``face_too_small``, ``blurry``, ``too_dark``,
    ``too_bright`` (quality); ``duplicate`` (looks like another enrolled student).
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


__all__ = ["PhotoRejected"]
