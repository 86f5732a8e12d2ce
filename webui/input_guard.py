"""One gate for every text a request carries: control characters are refused with a 400.

Runs before every view (sign-in and the public check-in form included), over the query
string, the form fields (names and values) and the names of uploaded files. A form value may
hold tab, line feed and carriage return (a textarea sends them); nothing else of category
``Cc`` (``attendance.control_chars``) passes, so no view, service or database ever sees a NUL
byte or an escape sequence (PostgreSQL answered a NUL in a text column with a 500).
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask, abort, request
from werkzeug.datastructures import FileStorage, MultiDict

from attendance.control_chars import describe, first_control_character

from .i18n import _


def init_app(app: Flask) -> None:
    """Check every request before anything else looks at it."""
    app.before_request(refuse_control_characters)


def refuse_control_characters() -> None:
    """Abort with 400 and a message naming the field when any text holds a control
    character (see the module docstring)."""
    problem = _first_problem(request.args, "address", allow_line_breaks=False)
    if problem is None and request.method not in ("GET", "HEAD", "OPTIONS"):
        problem = (_first_problem(request.form, "form", allow_line_breaks=True)
                   or _file_name_problem(request.files))
    if problem is not None:
        abort(400, description=problem)


def _first_problem(values: MultiDict[str, str], where: str, *, allow_line_breaks: bool
                   ) -> str | None:
    for name, value in values.items(multi=True):
        char = first_control_character(name)
        if char is not None:
            return _refusal(where, "name", repr(name), char)
        char = first_control_character(value, allow_line_breaks=allow_line_breaks)
        if char is not None:
            return _refusal(where, "value", repr(_printable(name)), char)
    return None


def _file_name_problem(files: MultiDict[str, FileStorage]) -> str | None:
    names: Iterable[str] = (f.filename or "" for _, f in files.items(multi=True))
    for name in names:
        char = first_control_character(name)
        if char is not None:
            return _refusal("file", "name", repr(_printable(name)), char)
    return None


def _refusal(where: str, part: str, name: str, char: str) -> str:
    """The message: which text (``where``: address, form or file; ``part``: its name or
    value) holds which control character."""
    values = {"name": name, "char": describe(char)}
    if where == "address" and part == "name":
        return _("Refused: the address parameter name %(name)s contains the control "
                 "character %(char)s, which is not allowed in text; remove it and try again.",
                 **values)
    if where == "address":
        return _("Refused: the address parameter %(name)s contains the control character "
                 "%(char)s, which is not allowed in text; remove it and try again.", **values)
    if where == "form" and part == "name":
        return _("Refused: the form field name %(name)s contains the control character "
                 "%(char)s, which is not allowed in text; remove it and try again.", **values)
    if where == "form":
        return _("Refused: the form field %(name)s contains the control character %(char)s, "
                 "which is not allowed in text; remove it and try again.", **values)
    return _("Refused: the uploaded file name %(name)s contains the control character "
             "%(char)s, which is not allowed in text; remove it and try again.", **values)


def _printable(name: str) -> str:
    """A field name safe to echo in the message (its own control characters dropped)."""
    return "".join(c for c in name if c.isprintable())[:60]
