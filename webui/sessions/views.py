"""Class sessions of a course: the list with counts, one session's marks (refreshing itself
while the session runs), and corrections."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from attendance.access import Action
from attendance.db import ClassSession, utcnow
from attendance.services.audit import record_audit
from attendance.services.checkin import current_code
from attendance.services.oversight import confirm_session, frame_coverage
from attendance.services.records import override_attendance
from attendance.services.reports import session_summaries
from attendance.services.schedule import materialize_sessions

from ..access import class_session_or_404, course_or_404
from ..auth.identity import current_identity
from ..auth.session_limits import poll_endpoint
from ..db import get_session
from ..errors import FORM_ERRORS, flash_error, flash_form_errors
from ..formatting import format_day
from ..i18n import _, ngettext
from ..live import POLL_SECONDS, live_response
from .forms import ConfirmForm, MaterializeForm, OverrideForm, override_form
from .page import session_page

bp = Blueprint("sessions", __name__)


@bp.get("/courses/<int:course_id>/sessions")
def index(course_id: int) -> str:
    session = get_session()
    course = course_or_404(session, current_identity(), course_id)
    return render_template(
        "sessions/index.html", course=course, sessions=session_summaries(session, course.id),
        form=MaterializeForm(), now=utcnow(),
    )


@bp.post("/courses/<int:course_id>/sessions/materialize")
def materialize(course_id: int) -> Response:
    identity = current_identity()
    session = get_session()
    course = course_or_404(session, identity, course_id, Action.CHANGE_COURSE)
    form = MaterializeForm()
    if not form.validate():
        flash_form_errors(form)
        return redirect(url_for("sessions.index", course_id=course.id))
    weeks = form.weeks.data or 1
    today = datetime.now(ZoneInfo(course.timezone)).date()
    last = today + timedelta(days=7 * weeks - 1)
    try:
        created = materialize_sessions(session, course.id, today, last, by=identity)
        record_audit(session, actor=identity.username, action="session.materialize",
                     target_type="course", target_id=course.id, user_id=identity.id,
                     details={"from": today.isoformat(), "to": last.isoformat(),
                              "created": len(created)})
        session.commit()
    except FORM_ERRORS as exc:
        flash_error(exc)
    else:
        flash(ngettext("%(num)d session(s) created from %(first)s to %(last)s.",
                       "%(num)d session(s) created from %(first)s to %(last)s.", len(created),
                       first=format_day(today), last=format_day(last)), "success")
    return redirect(url_for("sessions.index", course_id=course.id))


@bp.get("/sessions/<int:session_id>")
def show(session_id: int) -> str:
    class_session = class_session_or_404(get_session(), current_identity(), session_id)
    return _render_show(class_session, {})


@bp.get("/sessions/<int:session_id>/live.json")
@poll_endpoint
def live(session_id: int) -> Response:
    """The session page's live parts (students and counts), for ``static/live.js``."""
    session = get_session()
    class_session = class_session_or_404(session, current_identity(), session_id)
    page = session_page(session, class_session, utcnow())
    return live_response(live=page.live, version=page.version, parts=page.parts())


@bp.post("/sessions/<int:session_id>/students/<int:student_id>/override")
def override(session_id: int, student_id: int) -> Response | tuple[str, int]:
    identity = current_identity()
    session = get_session()
    class_session = class_session_or_404(session, identity, session_id, Action.CHANGE_SESSION)
    form = override_form(student_id)
    if not form.validate():
        return _render_show(class_session, {student_id: form}), 400
    try:
        override_attendance(
            session, class_session_id=class_session.id, student_id=student_id,
            status=form.status.data or "", reason=form.reason.data or "",
            actor=identity.username, user_id=identity.id, by=identity,
        )
        session.commit()
    except FORM_ERRORS as exc:
        flash_error(exc)
    else:
        flash(_("Mark corrected; the camera will not change it again."), "success")
    return redirect(url_for("sessions.show", session_id=class_session.id))


@bp.post("/sessions/<int:session_id>/confirm")
def confirm(session_id: int) -> Response:
    """The teacher confirms the session's marks after reviewing them (audited); from then on
    the camera changes none of them."""
    identity = current_identity()
    session = get_session()
    class_session = class_session_or_404(session, identity, session_id, Action.CHANGE_SESSION)
    if not ConfirmForm().validate():
        flash(_("The confirmation form expired; reload the page and try again."), "error")
        return redirect(url_for("sessions.show", session_id=class_session.id))
    try:
        confirm_session(session, class_session.id, actor=identity.username, now=utcnow(),
                        user_id=identity.id, by=identity)
        session.commit()
    except FORM_ERRORS as exc:
        session.rollback()
        flash_error(exc)
    else:
        flash(_("Marks confirmed; the camera will not change any mark of this session."),
              "success")
    return redirect(url_for("sessions.show", session_id=class_session.id))


def _render_show(class_session: ClassSession, failed: dict[int, OverrideForm]) -> str:
    session = get_session()
    page = session_page(session, class_session, utcnow(), failed)
    coverage = (frame_coverage(class_session.frames_received, class_session.frames_expected)
                if class_session.frames_expected else None)
    return render_template("sessions/show.html", **page.context(), confirm_form=ConfirmForm(),
                           coverage=coverage, poll_seconds=POLL_SECONDS,
                           checkin=current_code(session, class_session.id, page.now))
