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

from attendance.control_chars import control_character_problem

from .i18n import _


def init_app(app: Flask) -> None:
    """Check every request before anything else looks at it."""
    app.before_request(refuse_control_characters)


def refuse_control_characters() -> None:
    """Abort with 400 and a message naming the field when any text holds a control
    character (see the module docstring)."""
    problem = _first_problem(request.args, "the address parameter", allow_line_breaks=False)
    if problem is None and request.method not in ("GET", "HEAD", "OPTIONS"):
        problem = (_first_problem(request.form, "the form field", allow_line_breaks=True)
                   or _file_name_problem(request.files))
    if problem is not None:
        abort(400, description=_("Refused: %(problem)s.", problem=problem))


def _first_problem(values: MultiDict[str, str], what: str, *, allow_line_breaks: bool
                   ) -> str | None:
    for name, value in values.items(multi=True):
        problem = (control_character_problem(name, f"{what} name {name!r}")
                   or control_character_problem(value, f"{what} {_printable(name)!r}",
                                                allow_line_breaks=allow_line_breaks))
        if problem is not None:
            return problem
    return None


def _file_name_problem(files: MultiDict[str, FileStorage]) -> str | None:
    names: Iterable[str] = (f.filename or "" for _, f in files.items(multi=True))
    for name in names:
        problem = control_character_problem(name, f"the uploaded file name {_printable(name)!r}")
        if problem is not None:
            return problem
    return None


def _printable(name: str) -> str:
    """A field name safe to echo in the message (its own control characters dropped)."""
    return "".join(c for c in name if c.isprintable())[:60]
