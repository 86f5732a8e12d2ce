"""The one place where domain errors and HTTP errors become pages and flash messages."""

from __future__ import annotations

from typing import Any

from flask import Flask, flash, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from attendance.errors import AttendanceError, Conflict, InvalidInput, NotFound, PermissionDenied

from .db import get_session

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
    flash(str(exc), "error")


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
    return render_template("errors/error.html", status=status, message=str(exc)), status


def _csrf_error(exc: CSRFError) -> tuple[str, int]:
    message = "The form expired or came from another site. Reload the page and try again."
    return render_template("errors/error.html", status=400, message=message), 400


def _http_error(exc: HTTPException) -> tuple[str, int] | HTTPException:
    if exc.code is None or exc.code < 400:
        return exc  # redirects and the like pass through unchanged
    messages = {
        403: "You do not have permission to do this.",
        404: "There is nothing here, or it is not yours to see.",
        413: "The upload is too large. Send fewer or smaller photos.",
    }
    message = messages.get(exc.code, exc.description or exc.name)
    return render_template("errors/error.html", status=exc.code, message=message), exc.code
