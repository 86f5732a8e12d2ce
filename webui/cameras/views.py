"""Cameras: each camera's heartbeat health and next session; an admin registers cameras and
decides which teachers may attach each one to their courses.

A teacher sees only the cameras made available to them or filming their courses, only those
courses' sessions, and never a camera's source (``attendance.access``).
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from attendance import access
from attendance.access import Action
from attendance.camera_sources import has_secrets
from attendance.config import Settings
from attendance.crypto import TemplateCipher
from attendance.db import Role, User, utcnow
from attendance.services.audit import record_audit
from attendance.services.camera_access import (
    camera_teachers,
    make_camera_available,
    withdraw_camera,
)
from attendance.services.camera_health import ALIVE_WITHIN, FAILING_WITHIN, camera_statuses
from attendance.services.cameras import create_camera

from ..access import allowed_or_403, camera_or_404
from ..auth.identity import current_identity
from ..choices import select_choices
from ..db import get_session
from ..errors import FORM_ERRORS, flash_error, flash_form_errors
from ..i18n import _
from ..workers import worker_states
from .forms import AvailabilityForm, CameraForm, WithdrawForm

bp = Blueprint("cameras", __name__, url_prefix="/cameras")


@bp.get("/")
def index() -> str:
    identity = current_identity()
    manage = access.may(get_session(), identity, Action.MANAGE_CAMERAS)
    return _render(CameraForm() if manage else None)


@bp.post("/")
def add() -> Response | tuple[str, int]:
    identity = allowed_or_403(current_identity(), Action.MANAGE_CAMERAS)
    session = get_session()
    form = CameraForm()
    if not form.validate():
        return _render(form), 400
    try:
        source = form.source.data or ""
        camera = create_camera(session, name=form.name.data or "", source=source,
                               cipher=_cipher() if has_secrets(source) else None)
        record_audit(session, actor=identity.username, action="camera.create",
                     target_type="camera", target_id=camera.id, user_id=identity.id,
                     details={"name": camera.name})
        session.commit()
    except FORM_ERRORS as exc:
        flash_error(exc)
        return _render(form), 400
    flash(_("Camera %(name)s added. Make it available to the teachers who may use it, or "
            "choose it in a course.", name=camera.name), "success")
    return redirect(url_for("cameras.index"))


def _cipher() -> TemplateCipher:
    """The template key, which encrypts a source URL's credentials at rest."""
    settings: Settings = current_app.extensions["attendance.settings"]
    return TemplateCipher.from_settings(settings)


@bp.post("/<int:camera_id>/teachers")
def make_available(camera_id: int) -> Response:
    """The admin lets one more teacher attach this camera to their courses (audited)."""
    identity = allowed_or_403(current_identity(), Action.MANAGE_CAMERAS)
    session = get_session()
    camera = camera_or_404(session, identity, camera_id)
    form = _availability_form(session)
    if not form.validate():
        flash_form_errors(form)
        return redirect(url_for("cameras.index"))
    try:
        added = make_camera_available(session, camera.id, form.teacher.data,
                                      actor=identity.username, user_id=identity.id,
                                      by=identity)
        session.commit()
    except FORM_ERRORS as exc:
        flash_error(exc)
    else:
        flash(_("Camera %(name)s is available to that teacher now.", name=camera.name) if added
              else _("That teacher could already use this camera."), "success")
    return redirect(url_for("cameras.index"))


@bp.post("/<int:camera_id>/teachers/<int:user_id>/remove")
def withdraw(camera_id: int, user_id: int) -> Response:
    """The admin takes the camera off one teacher's choices (audited)."""
    identity = allowed_or_403(current_identity(), Action.MANAGE_CAMERAS)
    session = get_session()
    camera = camera_or_404(session, identity, camera_id)
    if WithdrawForm().validate():
        try:
            done = withdraw_camera(session, camera.id, user_id, actor=identity.username,
                                   user_id=identity.id, by=identity)
            session.commit()
        except FORM_ERRORS as exc:
            flash_error(exc)
        else:
            flash(_("Camera %(name)s is no longer offered to that teacher; courses using it "
                    "keep it.", name=camera.name) if done
                  else _("That teacher could not use it."), "info")
    return redirect(url_for("cameras.index"))


def _availability_form(session: Session) -> AvailabilityForm:
    form = AvailabilityForm()
    teachers = session.execute(select(User.id, User.username)
                               .where(User.role == Role.TEACHER.value, User.active.is_(True))
                               .order_by(User.username))
    form.teacher.choices = select_choices((str(i), n) for i, n in teachers)
    return form


def _render(form: CameraForm | None) -> str:
    identity = current_identity()
    session = get_session()
    visible = access.visible_cameras(session, identity)
    now = utcnow()
    statuses = camera_statuses(session, now, camera_ids=[c.id for c in visible],
                               course_ids=access.course_scope(session, identity))
    # Only what the user may see of each source is handed to the page at all.
    shown = {c.id for c in visible if access.may(session, identity, Action.SEE_CAMERA_SOURCE, c)}
    sources = {s.id: s.source for s in statuses if s.id in shown}
    manage = access.may(session, identity, Action.MANAGE_CAMERAS)
    return render_template(
        "cameras/index.html", cameras=statuses, sources=sources, form=form, now=now,
        workers=worker_states(),
        alive_minutes=int(ALIVE_WITHIN.total_seconds() // 60),
        failing_minutes=int(FAILING_WITHIN.total_seconds() // 60),
        teachers_of=camera_teachers(session) if manage else {},
        availability_form=_availability_form(session) if manage else None,
    )
