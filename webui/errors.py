"""The one place where domain errors and HTTP errors become pages and flash messages."""

from __future__ import annotations

from typing import Any

from flask import Flask, flash, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from attendance.errors import AttendanceError, Conflict, InvalidInput, NotFound, PermissionDenied

from .db import get_session
from .i18n import _
from .words import error_text

#: HTTP status for each domain error; anything else an ``AttendanceError`` is 400.
STATUS_FOR: dict[type[AttendanceError], int] = {
    NotFound: 404, Conflict: 409, InvalidInput: 400, PermissionDenied: 403,
}

#: Errors a form view shows next to the form instead of failing the request.
FORM_ERRORS: tuple[type[AttendanceError], ...] = (InvalidInput, Conflict, NotFound)


def status_for(exc: AttendanceError) -> int:
    for kind, status in STATUS_FOR.items():
        if isinstance(exc, kind):
            return status
    return 400


def flash_error(exc: AttendanceError) -> None:
    """Undo the request's unsaved changes and show ``exc``'s message above the page."""
    get_session().rollback()
    flash(error_text(exc), "error")


def flash_form_errors(form: Any) -> None:
    """Show each invalid field's messages above the page (forms posted from a larger page)."""
    for errors in form.errors.values():
        flash(" ".join(str(e) for e in errors), "error")


def init_app(app: Flask) -> None:
    app.register_error_handler(AttendanceError, _domain_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)


def _domain_error(exc: AttendanceError) -> tuple[str, int]:
    status = status_for(exc)
    return render_template("errors/error.html", status=status,
                           message=error_text(exc)), status


def _csrf_error(exc: CSRFError) -> tuple[str, int]:
    message = _("The form expired or came from another site. Reload the page and try again.")
    return render_template("errors/error.html", status=400, message=message), 400


def _http_message(exc: HTTPException) -> str:
    """What to tell the reader about ``exc``: a message of our own for the usual codes, in
    the reader's language; a description set by our code (already translated); else
    werkzeug's English name and description."""
    if exc.code == 400 and exc.description != type(exc).description:
        return str(exc.description)  # set where the request was refused, saying why
    messages = {
        400: lambda: _("The request was not understood. Go back, reload the page and try "
                       "again."),
        401: lambda: _("Please sign in to see this page."),
        403: lambda: _("You do not have permission to do this."),
        404: lambda: _("There is nothing here, or it is not yours to see."),
        405: lambda: _("This address does not accept that kind of request."),
        413: lambda: _("The upload is too large. Send fewer or smaller photos."),
        429: lambda: _("Too many requests. Wait a minute, then try again."),
        500: lambda: _("Something went wrong on the server. Try again; if it keeps "
                       "happening, tell the administrator."),
    }
    if exc.code in messages:
        return messages[exc.code]()
    return str(exc.description or exc.name)


def _http_error(exc: HTTPException) -> tuple[str, int] | HTTPException:
    if exc.code is None or exc.code < 400:
        return exc  # redirects and the like pass through unchanged
    message = _http_message(exc)
    return render_template("errors/error.html", status=exc.code, message=message), exc.code
