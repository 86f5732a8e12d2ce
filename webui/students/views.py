"""Students: the list, enrollment of a new student, photos for an enrolled one, and the name
and email form (erasure has its own confirmation page, ``webui.erasure``). Who may do which
is ``attendance.access``'s to say."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_wtf.file import MultipleFileField
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response
from wtforms.validators import InputRequired

from attendance import access
from attendance.access import Action
from attendance.config import Settings
from attendance.db import Student, consent_covers
from attendance.services.students import update_student
from enrollment import (
    AlreadyEnrolled,
    EnrollmentRequest,
    EnrollmentResult,
    Mode,
    PhotoUpload,
    prepare_enrollment,
    read_enrollment_context,
    store_enrollment,
)

from ..access import allowed_or_403, student_or_404
from ..auth.identity import Identity, current_identity
from ..choices import select_choices
from ..db import end_reads, get_read_session, get_session
from ..embedders import get_embedders
from ..errors import FORM_ERRORS, flash_error, status_for
from ..formatting import file_size
from ..i18n import N_, _, ngettext
from .forms import EnrollForm, PhotosForm, StudentForm
from .lookalikes import ask_again, confirmed

logger = logging.getLogger(__name__)

bp = Blueprint("students", __name__, url_prefix="/students")

#: Most students listed at once; narrow the search to see others.
LIST_LIMIT = 200
#: The answer to an upload of which no photo was accepted (each photo's reason is shown).
REFUSED = 422
NEEDS_COURSE = N_("Choose the course the student joins, so they are on your roster.")


@bp.get("/")
def index() -> str:
    """The students the user may list (a teacher: those on their rosters), searchable."""
    query = request.args.get("q", "").strip()[:100]
    session = get_session()
    students = _search(session, current_identity(), query)
    consenting = set(session.scalars(select(Student.id).where(
        Student.id.in_([s.id for s in students]), consent_covers(Student.id, None))))
    return render_template("students/index.html", students=students, query=query,
                           limit=LIST_LIMIT, consenting=consenting,
                           every_student=access.listed_students(current_identity()) is None)


@bp.route("/enroll", methods=["GET", "POST"])
def enroll() -> str | tuple[str, int]:
    """A new student: number, name, the course whose roster they join, consent and photos.
    A number that is taken is refused, never updated; the form is empty after a success."""
    identity = allowed_or_403(current_identity(), Action.ENROLL_STUDENT)
    form = _enroll_form(identity)
    result: EnrollmentResult | None = None
    taken: int | None = None
    status = 200
    settings = _settings()
    if form.validate_on_submit() and _within_photo_limit(form.photos, settings):
        course_id = int(form.course.data) if form.course.data else None
        request_ = EnrollmentRequest(
            student_number=form.student_number.data or "",
            display_name=form.display_name.data, email=form.email.data or None,
            consent_by=identity.username, photos=_uploads(form.photos.data),
            consent_given_by=form.consent_given_by.data or None,
            consent_relation=form.consent_relation.data or "student",
            allow_duplicate=bool(form.allow_duplicate and form.allow_duplicate.data),
            actor=identity.username, mode=Mode.NEW, course_id=course_id, by=identity,
            consent_course_ids=_consent_courses(identity, course_id),
            confirmed_lookalikes=confirmed(identity, form.confirm_different,
                                           form.lookalike_token),
            hold_for_confirmation=True,
        )
        try:
            result = _enroll(settings, request_)
        except AlreadyEnrolled as exc:
            flash_error(exc)
            taken, status = exc.student_id, status_for(exc)
        except FORM_ERRORS as exc:
            flash_error(exc)
            status = status_for(exc)
        else:
            status = _flash_summary(result)
            if result.student_id is not None:
                form = _enroll_form(identity, empty=True)  # the next student starts afresh
    elif form.errors:
        status = 400
    panels = ask_again(result, identity, form.confirm_different, form.lookalike_token)
    reselect = request.method == "POST" and not (result and result.student_id is not None)
    return render_template("students/enroll.html", form=form, result=result, taken=taken,
                           panels=panels, reselect=reselect, limits=_limits(settings)
                           ), status


@bp.route("/<int:student_id>/photos", methods=["GET", "POST"])
def photos(student_id: int) -> str | tuple[str, int]:
    """More photos for an enrolled student: their name and email stay as they are."""
    identity = current_identity()
    student = student_or_404(get_read_session(), identity, student_id, Action.ADD_PHOTOS)
    form = _photos_form(identity)
    result: EnrollmentResult | None = None
    status = 200
    settings = _settings()
    reselect = request.method == "POST"
    if form.validate_on_submit() and _within_photo_limit(form.photos, settings):
        request_ = EnrollmentRequest(
            student_number=student.student_number, consent_by=identity.username,
            photos=_uploads(form.photos.data), actor=identity.username,
            allow_duplicate=bool(form.allow_duplicate and form.allow_duplicate.data),
            mode=Mode.ADD_PHOTOS, by=identity, hold_for_confirmation=True,
            confirmed_lookalikes=confirmed(identity, form.confirm_different,
                                           form.lookalike_token),
        )
        try:
            result = _enroll(settings, request_)
        except FORM_ERRORS as exc:
            flash_error(exc)
            status = status_for(exc)
        else:
            status = _flash_summary(result)
            if result.accepted or not result.lookalikes:
                form, reselect = _photos_form(identity, empty=True), False
    elif form.errors:
        status = 400
    panels = ask_again(result, identity, form.confirm_different, form.lookalike_token)
    return render_template("students/photos.html", form=form, result=result,
                           student=student, panels=panels, reselect=reselect,
                           limits=_limits(settings)), status


@bp.route("/<int:student_id>/edit", methods=["GET", "POST"])
def edit(student_id: int) -> Response | str | tuple[str, int]:
    """The student's name and email, on a form of their own (audited ``student.update``)."""
    identity = current_identity()
    session = get_session()
    student = student_or_404(session, identity, student_id, Action.EDIT_STUDENT)
    form = StudentForm(obj=None if request.method == "POST" else student)
    if form.validate_on_submit():
        try:
            update_student(session, student.id, display_name=form.display_name.data or "",
                           email=form.email.data or None, actor=identity.username,
                           user_id=identity.id, by=identity)
            session.commit()
        except FORM_ERRORS as exc:
            flash_error(exc)
        else:
            flash(_("Name and email saved."), "success")
            return redirect(url_for("history.student", student_id=student.id))
    status = 400 if form.errors else 200
    return render_template("students/edit.html", form=form, student=student), status


def _enroll_form(identity: Identity, *, empty: bool = False) -> EnrollForm:
    """The enrollment form with the courses ``identity`` may enroll into (optional only for
    those who may enroll without a course) and the duplicate override for those who may."""
    form = EnrollForm(formdata=None) if empty else EnrollForm()
    session = get_read_session()
    courses = [c for c in access.visible_courses(session, identity)
               if access.may(session, identity, Action.ENROLL_INTO_COURSE, c)]
    choices = [(str(c.id), f"{c.code} {c.name}") for c in courses]
    if access.may(session, identity, Action.ENROLL_WITHOUT_COURSE):
        choices.insert(0, ("", _("No course yet")))
    else:
        form.course.validators = [InputRequired(message=_(NEEDS_COURSE))]
    form.course.choices = select_choices(choices)
    if not access.may(session, identity, Action.OVERRIDE_DUPLICATE_CHECK):
        del form.allow_duplicate
    return form


def _photos_form(identity: Identity, *, empty: bool = False) -> PhotosForm:
    form = PhotosForm(formdata=None) if empty else PhotosForm()
    if not access.may(get_read_session(), identity, Action.OVERRIDE_DUPLICATE_CHECK):
        del form.allow_duplicate
    return form


def _consent_courses(identity: Identity, course_id: int | None) -> list[int] | None:
    """The courses the consent given on the form covers: all for those who may record that
    (admins), else the course the student joins (a teacher's own)."""
    if course_id is None or access.may(get_read_session(), identity,
                                       Action.CONSENT_FOR_ALL_COURSES):
        return None
    return [course_id]


def _uploads(files: list[FileStorage]) -> list[PhotoUpload]:
    return [PhotoUpload(f.filename or "photo", f.read()) for f in files]


def _enroll(settings: Settings, request_: EnrollmentRequest) -> EnrollmentResult:
    """Enroll in three phases, so the write lock is held only for the inserts: read (a
    read-only session), decode/detect/embed (no transaction open), then write and commit."""
    embedders = get_embedders()
    context = read_enrollment_context(get_read_session(), settings, embedders, request_)
    end_reads()
    prepared = prepare_enrollment(context, settings, embedders)
    session = get_session()
    result = store_enrollment(session, settings, embedders, prepared)
    session.commit()
    return result


def _limits(settings: Settings) -> str:
    """The upload limits in words, e.g. "5 photos of up to 15.7 MB each"."""
    return ngettext("%(num)d photos of up to %(size)s each",
                    "%(num)d photos of up to %(size)s each", settings.max_photos_per_upload,
                    size=file_size(settings.max_image_bytes))


def _within_photo_limit(field: MultipleFileField, settings: Settings) -> bool:
    """False (with the form error shown) when more photos were sent than one upload allows."""
    limit = settings.max_photos_per_upload
    count = len(field.data or [])
    if count <= limit:
        return True
    field.errors = [*field.errors, ngettext(
        "At most %(num)d photos per upload (setting max_photos_per_upload); %(count)d were "
        "chosen. Send them in several uploads.",
        "At most %(num)d photos per upload (setting max_photos_per_upload); %(count)d were "
        "chosen. Send them in several uploads.", limit, count=count)]
    return False


def _settings() -> Settings:
    settings: Settings = current_app.extensions["attendance.settings"]
    return settings


def _search(session: Session, identity: Identity, text: str) -> list[Student]:
    query = select(Student).order_by(Student.student_number).limit(LIST_LIMIT)
    listed = access.listed_students(identity)
    if listed is not None:
        query = query.where(listed)
    if text:
        needle = text.lower()  # autoescape: '%' and '_' are searched for literally
        query = query.where(or_(
            func.lower(Student.student_number).contains(needle, autoescape=True),
            func.lower(Student.display_name).contains(needle, autoescape=True),
        ))
    return list(session.scalars(query))


def _flash_summary(result: EnrollmentResult) -> int:
    """Flash what became of the upload; the HTTP status to answer: 422 when no photo was
    accepted and some were refused (each with its reason on the page), else 200."""
    if result.lookalikes and result.accepted == 0:
        flash(_("Nothing was stored for %(number)s yet: a photo looks like another enrolled "
                "student. Compare them below; if this is a different person, tick the "
                "confirmation, choose the photos again and send the form.",
                number=result.student_number), "warning")
        return REFUSED
    if result.accepted == 0 and result.rejected:
        flash(_("Nothing was stored for %(number)s: no photo was accepted.",
                number=result.student_number), "error")
        return REFUSED
    if result.created:
        flash(ngettext("Student %(number)s enrolled: %(num)d photo(s) accepted, %(refused)d "
                       "refused, %(stored)d already stored.",
                       "Student %(number)s enrolled: %(num)d photo(s) accepted, %(refused)d "
                       "refused, %(stored)d already stored.", result.accepted,
                       number=result.student_number, refused=result.rejected,
                       stored=result.skipped), "success")
    else:
        flash(_("Photos of %(number)s: %(accepted)d accepted, %(refused)d refused, %(stored)d "
                "already stored.", number=result.student_number, accepted=result.accepted,
                refused=result.rejected, stored=result.skipped), "success")
    return 200
