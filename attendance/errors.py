"""Domain errors. Messages are written for the person who has to act on them.

A message is an English template with named values (``attendance.messages.Message``):
``str(error)`` is the English text (command line, logs), ``error.message`` keeps the
template and values so that the dashboard shows it in the reader's language. Write
``raise NotFound("no user %(username)r", username=name)``, never an f-string: Babel
extracts the template from the call (``babel.cfg``) for the catalogues.
"""

from __future__ import annotations

from typing import Any

from .messages import Message


class AttendanceError(Exception):
    """Base class of every error the domain raises on purpose.

    ``message``: an English template (or a ready :class:`Message`); ``params``: the values
    of its ``%(name)s`` placeholders.
    """

    message: Message

    def __init__(self, message: str = "", /, **params: Any) -> None:
        self.message = (message if isinstance(message, Message) and not params
                        else Message(message, **params))
        super().__init__(str(self.message))


class ConfigError(AttendanceError):
    """A setting is missing or invalid; the message names the setting."""


class MissingTemplateKey(ConfigError):
    """A template key file that stored data needs is missing or unreadable; the message
    names the file and key id to restore. Processes refuse to start rather than make a new
    key in its place."""


class NotFound(AttendanceError):  # noqa: N818  (domain vocabulary, mapped to HTTP 404)
    """Something asked for does not exist."""


class Conflict(AttendanceError):
    """The request contradicts what is already stored (duplicate, override, ...)."""


class InvalidInput(AttendanceError):
    """Input was refused; the message says what and why."""


class WrongPassword(InvalidInput):
    """The password given to prove who one is was wrong (counted by the throttles)."""


class CameraUnavailable(AttendanceError):
    """A camera source could not be opened or stopped delivering frames."""


class PermissionDenied(AttendanceError):  # noqa: N818  (domain vocabulary, HTTP 403)
    """The caller is not allowed to do this (wrong worker token, another camera's session)."""


class TemplateDecryptionError(AttendanceError):
    """An encrypted face template or image could not be read: tampered with, moved to another
    row, or its key is missing. Never answered with a wrong vector."""
