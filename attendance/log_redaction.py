"""A logging filter that removes URL credentials from every record a handler writes.

The code never logs a camera's full source on purpose (``attendance.camera_sources``); this
is the second line: a driver's exception quoted in a traceback, or a message nobody thought
of, still loses the ``user:password@`` of any URL and its secret parameters before it is
written. The ``attendance`` command installs it on the handlers it configures.
"""

from __future__ import annotations

import logging

from .camera_sources import redact_text


class RedactCredentials(logging.Filter):
    """Rewrites each record's message (and exception text) with :func:`redact_text`."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact_text(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact_text(_FORMATTER.formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        return True


_FORMATTER = logging.Formatter()


def install(logger: logging.Logger | None = None) -> None:
    """Add :class:`RedactCredentials` to every handler of ``logger`` (default: the root)."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, RedactCredentials) for f in handler.filters):
            handler.addFilter(RedactCredentials())


__all__ = ["RedactCredentials", "install"]
