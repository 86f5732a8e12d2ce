"""Cameras: each camera's heartbeat health and next session; an admin registers new ones.

A teacher sees only the cameras of their own courses, and only those courses' sessions.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from attendance.camera_sources import has_secrets
from attendance.config import Settings
from attendance.crypto import TemplateCipher
from attendance.db import utcnow
from attendance.services.audit import record_audit
from attendance.services.camera_health import ALIVE_WITHIN, FAILING_WITHIN, camera_statuses
from attendance.services.cameras import create_camera

from ..access import visible_courses
from ..auth.identity import current_identity, require_admin
from ..db import get_session
from ..errors import FORM_ERRORS, flash_error
from ..workers import worker_states
from .forms import CameraForm

bp = Blueprint("cameras", __name__, url_prefix="/cameras")


@bp.get("/")
def index() -> str:
    identity = current_identity()
    return _render(CameraForm() if identity.is_admin else None)


@bp.post("/")
def add() -> Response | tuple[str, int]:
    identity = require_admin()
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
    flash(f"Camera {camera.name} added. Choose it in a course to film that course.", "success")
    return redirect(url_for("cameras.index"))


def _cipher() -> TemplateCipher:
    """The template key, which encrypts a source URL's credentials at rest."""
    settings: Settings = current_app.extensions["attendance.settings"]
    return TemplateCipher.from_settings(settings)


def _render(form: CameraForm | None) -> str:
    identity = current_identity()
    session = get_session()
    scope = None if identity.is_admin else [c.id for c in visible_courses(session, identity)]
    now = utcnow()
    return render_template(
        "cameras/index.html", cameras=camera_statuses(session, now, course_ids=scope),
        form=form, now=now, workers=worker_states(),
        alive_minutes=int(ALIVE_WITHIN.total_seconds() // 60),
        failing_minutes=int(FAILING_WITHIN.total_seconds() // 60),
    )
