"""Courses: list, create, edit, and the roster."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from attendance import access
from attendance.access import Action
from attendance.db import Course, Role, User
from attendance.services.audit import record_audit
from attendance.services.courses import create_course, update_course
from attendance.services.roster import add_to_roster, remove_from_roster, roster

from ..access import allowed_or_403, course_or_404
from ..auth.identity import Identity, current_identity
from ..choices import select_choices
from ..db import get_session
from ..errors import FORM_ERRORS, flash_error, status_for
from ..i18n import _, ngettext
from .forms import (
    BLANK_SLOT_ROWS,
    CourseForm,
    NewCourseForm,
    RosterAddForm,
    RosterRemoveForm,
    timezone_choices,
)

bp = Blueprint("courses", __name__, url_prefix="/courses")


@bp.get("/")
def index() -> str:
    identity = current_identity()
    session = get_session()
    courses = access.visible_courses(session, identity)
    teachers = _teacher_names(session)
    return render_template("courses/index.html", courses=courses, teachers=teachers)


@bp.route("/new", methods=["GET", "POST"])
def new() -> Response | str:
    identity = allowed_or_403(current_identity(), Action.CREATE_COURSE)
    session = get_session()
    form = NewCourseForm()
    _fill_choices(form, session, identity, None)
    if not form.is_submitted():
        form.timezone.data = current_app.extensions["attendance.settings"].timezone
        _add_blank_rows(form)
    elif form.validate():
        created = _save(session, identity, "course.create", lambda: create_course(
            session, code=form.code.data or "", name=form.name.data or "",
            teacher_id=_chosen_teacher(form, identity), **_course_fields(form), by=identity))
        if created is not None:
            flash(_("Course %(code)s created.", code=created.code), "success")
            return redirect(url_for("courses.show", course_id=created.id))
    return render_template("courses/form.html", form=form, course=None)


def _course_fields(form: CourseForm) -> dict[str, Any]:
    """What the create and edit forms set alike (the code and teacher are handled apart)."""
    return {
        "timezone": form.timezone.data or "",
        "late_after_minutes": form.late_after_minutes.data or 0,
        "slots": form.schedule(),
        "camera_name": form.camera.data or None,
        "face_recognition_enabled": bool(form.face_recognition_enabled.data),
    }


def _save(session: Session, identity: Identity, action: str,
          write: Callable[[], Course]) -> Course | None:
    """Create or update a course with ``write``, audit ``action`` and commit; None (after
    flashing why) when the service refused it."""
    try:
        course = write()
        _audit(session, identity, action, course,
               {"code": course.code, "face_recognition_enabled": course.face_recognition_enabled})
        session.commit()
    except FORM_ERRORS as exc:
        flash_error(exc)
        return None
    return course


@bp.get("/<int:course_id>")
def show(course_id: int) -> str:
    session = get_session()
    course = course_or_404(session, current_identity(), course_id)
    return _show(session, course, RosterAddForm())


def _show(session: Session, course: Course, add_form: RosterAddForm) -> str:
    return render_template(
        "courses/show.html", course=course, students=roster(session, course.id),
        teachers=_teacher_names(session), add_form=add_form,
    )


@bp.route("/<int:course_id>/edit", methods=["GET", "POST"])
def edit(course_id: int) -> Response | str:
    identity = current_identity()
    session = get_session()
    course = course_or_404(session, identity, course_id, Action.CHANGE_COURSE)
    form = CourseForm(data=None if request.method == "POST" else _course_data(course))
    _fill_choices(form, session, identity, course)
    if not form.is_submitted():
        _add_blank_rows(form)
    elif form.validate():
        teacher: dict[str, Any] = (
            {"teacher_id": _chosen_teacher(form, identity)} if form.teacher is not None else {})
        saved = _save(session, identity, "course.update", lambda: update_course(
            session, course.code, name=form.name.data or "", **_course_fields(form), **teacher,
            by=identity))
        if saved is not None:
            flash(_("Course %(code)s saved.", code=saved.code), "success")
            return redirect(url_for("courses.show", course_id=saved.id))
    return render_template("courses/form.html", form=form, course=course)


@bp.post("/<int:course_id>/roster")
def roster_add(course_id: int) -> Response | tuple[str, int]:
    """Add the numbers typed to the roster, all or none; a refusal comes back with the
    numbers still in the box, to correct."""
    identity = current_identity()
    session = get_session()
    course = course_or_404(session, identity, course_id, Action.CHANGE_COURSE)
    form = RosterAddForm()
    if not form.validate():
        return _show(session, course, form), 400
    try:
        added = add_to_roster(session, course.id, student_numbers=form.numbers(),
                              by=identity)
        _audit(session, identity, "roster.add", course,
               {"student_numbers": [s.student_number for s in added]})
        session.commit()
    except FORM_ERRORS as exc:
        flash_error(exc)
        return _show(session, course, form), status_for(exc)
    flash(ngettext("%(num)d student(s) added to the roster.",
                   "%(num)d student(s) added to the roster.", len(added)), "success")
    return redirect(url_for("courses.show", course_id=course.id))


@bp.post("/<int:course_id>/roster/<int:student_id>/remove")
def roster_remove(course_id: int, student_id: int) -> Response:
    identity = current_identity()
    session = get_session()
    course = course_or_404(session, identity, course_id, Action.CHANGE_COURSE)
    if RosterRemoveForm().validate():
        try:
            removed = remove_from_roster(session, course.id, student_ids=[student_id],
                                         by=identity)
            _audit(session, identity, "roster.remove", course, {"student_id": student_id})
            session.commit()
        except FORM_ERRORS as exc:
            flash_error(exc)
        else:
            flash(_("Student removed from the roster.") if removed else _("Not on the roster."),
                  "info")
    return redirect(url_for("courses.show", course_id=course.id))


def _course_data(course: Course) -> dict[str, object]:
    return {
        "name": course.name,
        "timezone": course.timezone,
        "late_after_minutes": course.late_after_minutes,
        "camera": course.camera.name if course.camera else "",
        "face_recognition_enabled": course.face_recognition_enabled,
        "teacher": str(course.teacher_id or ""),
        "slots": [
            {"weekday": str(s.weekday), "start": s.start_time, "end": s.end_time}
            for s in course.schedule
        ],
    }


def _fill_choices(
    form: CourseForm, session: Session, identity: Identity, course: Course | None
) -> None:
    """The choices ``identity`` may make: the cameras they may use (and the course's current
    one, which they may keep), and the teacher only for those who may assign one."""
    form.timezone.choices = timezone_choices()
    usable = {c.name for c in access.usable_cameras(session, identity)}
    if course is not None and course.camera is not None:
        usable.add(course.camera.name)
    form.camera.choices = select_choices([("", _("No camera")),
                                          *((n, n) for n in sorted(usable))])
    if access.may(session, identity, Action.ASSIGN_TEACHER):
        teachers = [(str(i), n) for i, n in _teacher_names(session).items()]
        form.teacher.choices = select_choices([("", _("Nobody")), *teachers])
    else:
        del form.teacher  # only an admin assigns courses


def _add_blank_rows(form: CourseForm) -> None:
    if len(form.slots) == 1 and form.slots[0].form.is_blank():
        form.slots.pop_entry()
    for _row in range(BLANK_SLOT_ROWS):
        form.slots.append_entry()


def _chosen_teacher(form: CourseForm, identity: Identity) -> int | None:
    """The admin's choice; a teacher's new course is always their own."""
    if form.teacher is None:
        return identity.id
    return int(form.teacher.data) if form.teacher.data else None


def _teacher_names(session: Session) -> dict[int, str]:
    """Accounts that can teach, id -> username."""
    rows = session.execute(
        select(User.id, User.username)
        .where(User.role.in_([Role.TEACHER.value, Role.ADMIN.value]))
        .order_by(User.username)
    )
    return {user_id: name for user_id, name in rows}


def _audit(
    session: Session, identity: Identity, action: str, course: Course, details: dict[str, object]
) -> None:
    record_audit(session, actor=identity.username, action=action, target_type="course",
                 target_id=course.id, details=dict(details), user_id=identity.id)

