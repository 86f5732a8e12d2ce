"""The review queue of unsure sightings (grouped per session and student), teachers' verdicts,
each sighting's thumbnail, and each mark's evidence."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response

from attendance.access import Action
from attendance.crypto import TemplateCipher
from attendance.db import Sighting, Student, Verdict
from attendance.errors import InvalidInput, TemplateDecryptionError
from attendance.services.review import (
    FUSED_REVIEW_MARGIN,
    REVIEW_MARGIN,
    GroupVerdict,
    confirm_group,
    confirm_sighting,
    evidence_names,
    reject_group,
    reject_sighting,
    sighting_evidence,
)
from attendance.services.review_queue import GROUPS_PER_PAGE as DEFAULT_GROUPS_PER_PAGE
from attendance.services.review_queue import pending_group, review_groups
from attendance.thumbnail_files import existing_thumbnail
from attendance.worker.thumbnails import read_thumbnail

from ..access import class_session_or_404, course_or_404, student_or_404
from ..auth.identity import current_identity
from ..db import get_session
from ..errors import FORM_ERRORS, flash_error
from ..i18n import _, ngettext
from .forms import GroupVerdictForm, VerdictForm
from .photos import add_thumbnail, closest_face, group_faces, settings, thumbnail_file

bp = Blueprint("review", __name__)

#: Highest page number accepted in a URL (far beyond any real queue).
_MAX_PAGE = 100_000
#: Questions (groups) per page of the queue.
GROUPS_PER_PAGE = DEFAULT_GROUPS_PER_PAGE


@bp.get("/courses/<int:course_id>/review")
def queue(course_id: int) -> str:
    """One page of the course's unsure sightings, one group per (session, student)."""
    session = get_session()
    course = course_or_404(session, current_identity(), course_id)
    page = review_groups(session, course.id, page=_page_number(request.args.get("page")),
                         per_page=GROUPS_PER_PAGE)
    faces = {(g.class_session_id, g.student_id): group_faces(g) for g in page.groups}
    return render_template("review/queue.html", course=course, review=page, faces=faces,
                           margin=REVIEW_MARGIN, fused_margin=FUSED_REVIEW_MARGIN,
                           form=GroupVerdictForm(),
                           keep_review=settings().review_thumbnail_retention_days > 0)


@bp.post("/sessions/<int:session_id>/review/<int:student_id>/confirm")
def confirm_group_view(session_id: int, student_id: int) -> Response:
    """"Yes, this is X" for the group of X in the session: its sightings count for X."""
    return _decide_group(session_id, student_id, confirming=True)


@bp.post("/sessions/<int:session_id>/review/<int:student_id>/reject")
def reject_group_view(session_id: int, student_id: int) -> Response:
    """"Not X": every pending unsure sighting of X in the session is settled."""
    return _decide_group(session_id, student_id, confirming=False)


def _decide_group(session_id: int, student_id: int, *, confirming: bool) -> Response:
    identity = current_identity()
    session = get_session()
    class_session = class_session_or_404(session, identity, session_id, Action.CHANGE_SESSION)
    back = redirect(url_for("review.queue", course_id=class_session.course_id,
                            page=_page_or_first(request.args.get("page"))))
    form = GroupVerdictForm()
    if not form.validate():
        flash(_("The verdict form was incomplete; reload the queue and try again."), "error")
        return back
    student = session.get(Student, student_id)
    name = student.display_name if student else _("student %(id)d", id=student_id)
    upto: int = form.upto.data
    photo: tuple[str, str] | None = None
    try:
        if confirming:
            face = None
            if form.add_photo.data:  # chosen before the verdict assigns the sightings
                face = closest_face(session, pending_group(
                    session, class_session.id, student_id, upto=upto), student_id)
            verdict = confirm_group(session, class_session_id=class_session.id,
                                    student_id=student_id, upto=upto, actor=identity.username,
                                    user_id=identity.id,
                                    min_sightings=settings().min_sightings, by=identity)
            if form.add_photo.data and student is not None:
                photo = add_thumbnail(session, identity, face, student) if face else (
                    _("No face thumbnail is kept for these sightings; nothing was added to "
                      "%(name)s's enrollment photos.", name=name), "error")
        else:
            verdict = reject_group(session, class_session_id=class_session.id,
                                   student_id=student_id, upto=upto, actor=identity.username,
                                   user_id=identity.id, by=identity)
        session.commit()  # the verdicts and any added photo together
    except FORM_ERRORS as exc:
        flash_error(exc)
    else:
        flash(_verdict_message(verdict, name), "success")
        if photo is not None:
            flash(*photo)
    return back


def _verdict_message(verdict: GroupVerdict, name: str) -> str:
    if verdict.verdict is Verdict.CONFIRMED:
        return ngettext("Counted for %(name)s: %(num)d sighting(s) confirmed.",
                        "Counted for %(name)s: %(num)d sighting(s) confirmed.", verdict.settled,
                        name=name)
    message = ngettext("Noted: not %(name)s (%(num)d sighting(s)). The camera will not count "
                       "unsure sightings of %(name)s in this session.",
                       "Noted: not %(name)s (%(num)d sighting(s)). The camera will not count "
                       "unsure sightings of %(name)s in this session.", verdict.settled,
                       name=name)
    if verdict.already_counted:
        message += " " + ngettext(
            "%(num)d of them had already counted: correct the mark on the session page if "
            "needed.",
            "%(num)d of them had already counted: correct the mark on the session page if "
            "needed.", verdict.already_counted)
    return message


@bp.post("/sightings/<int:sighting_id>/confirm")
def confirm(sighting_id: int) -> Response:
    """"Yes, this is X" for one sighting: it counts for X."""
    return _decide(sighting_id, "confirm")


@bp.post("/sightings/<int:sighting_id>/reject")
def reject(sighting_id: int) -> Response:
    """"Not X" for one sighting, which settles X's other pending sightings of the session."""
    return _decide(sighting_id, "reject")


def _decide(sighting_id: int, verdict: str) -> Response:
    identity = current_identity()
    session = get_session()
    sighting = session.get(Sighting, sighting_id)
    if sighting is None:
        abort(404)
    class_session = class_session_or_404(session, identity, sighting.class_session_id,
                                         Action.CHANGE_SESSION)
    form = VerdictForm()
    back = redirect(url_for("review.queue", course_id=class_session.course_id))
    if not form.validate():
        flash(_("Choose a student to confirm or reject."), "error")
        return back
    student_id: int = form.student_id.data
    student = session.get(Student, student_id)
    name = student.display_name if student else str(student_id)
    photo: tuple[str, str] | None = None  # (message, flash category) about the thumbnail
    try:
        if verdict == "confirm":
            confirm_sighting(session, sighting_id=sighting.id, student_id=student_id,
                             actor=identity.username, user_id=identity.id,
                             min_sightings=settings().min_sightings, by=identity)
            message = _("Counted for %(name)s.", name=name)
            if form.add_photo.data and student is not None:
                photo = add_thumbnail(session, identity, sighting, student)
        else:
            decision = reject_sighting(session, sighting_id=sighting.id, student_id=student_id,
                                       actor=identity.username, user_id=identity.id,
                                       by=identity)
            message = _("Noted: not %(name)s. The camera will not count unsure sightings of "
                        "%(name)s in this session.", name=name)
            if sighting.student_id == decision.student_id:
                message += " " + _("This sighting had already counted: correct the mark if "
                                   "needed.")
        session.commit()  # the verdict and any added photo together
    except FORM_ERRORS as exc:
        flash_error(exc)
    else:
        flash(message, "success")
        if photo is not None:
            flash(*photo)
    return back


@bp.get("/sightings/<int:sighting_id>/thumbnail.jpg")
def thumbnail(sighting_id: int) -> Response:
    """The sighting's kept face thumbnail, decrypted; 404 outside the user's courses, and when
    no thumbnail is kept (or it cannot be read)."""
    session = get_session()
    sighting = session.get(Sighting, sighting_id)
    if sighting is None:
        abort(404)
    class_session_or_404(session, current_identity(), sighting.class_session_id)
    path = thumbnail_file(sighting)
    if path is None or sighting.dedupe_key is None:
        abort(404)
    try:
        data = read_thumbnail(path, sighting.dedupe_key,
                              TemplateCipher.from_settings(settings()))
    except (OSError, TemplateDecryptionError) as exc:
        current_app.logger.warning("thumbnail of sighting %s not readable: %s", sighting.id, exc)
        abort(404)
    response = make_response(data)
    response.mimetype = "image/jpeg"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/sessions/<int:session_id>/students/<int:student_id>/evidence")
def evidence(session_id: int, student_id: int) -> str:
    session = get_session()
    class_session = class_session_or_404(session, current_identity(), session_id)
    student = student_or_404(session, current_identity(), student_id)
    rows = sighting_evidence(session, class_session.id, student.id)
    names = evidence_names(session, class_session.course_id, [r.evidence for r in rows])
    instance_path = settings().instance_path
    with_thumbnail = {r.sighting_id for r in rows
                      if existing_thumbnail(instance_path, r.seen_at, r.dedupe_key) is not None}
    return render_template("review/evidence.html", class_session=class_session,
                           course=class_session.course, student=student, rows=rows,
                           with_thumbnail=with_thumbnail, names=names, settings=settings())


def _page_number(raw: str | None) -> int:
    """The ``page`` query argument: a whole number from 1 (absent: 1); else a clear 400."""
    if raw is None or raw == "":
        return 1
    if not raw.isdigit() or not 1 <= int(raw) <= _MAX_PAGE:
        raise InvalidInput(_("Page %(page)s does not exist: pages are numbered 1, 2, 3, …",
                             page=repr(raw[:20])))
    return int(raw)


def _page_or_first(raw: str | None) -> int:
    """The page to go back to after a verdict (1 when the argument is not a page number)."""
    return int(raw) if raw and raw.isdigit() and 1 <= int(raw) <= _MAX_PAGE else 1
