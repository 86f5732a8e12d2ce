"""Changing and removing a camera (admins). Removing one that films courses asks first:
detach it from them, or cancel. ``attendance.services.camera_changes`` does the work, audited,
and asks the access policy again."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from attendance.access import Action
from attendance.camera_sources import has_secrets
from attendance.config import Settings
from attendance.crypto import TemplateCipher
from attendance.db import Camera
from attendance.services.camera_changes import (
    CameraInUse,
    courses_filmed_by,
    remove_camera,
    update_camera,
)

from ..access import allowed_or_403, camera_or_404
from ..auth.identity import Identity, current_identity
from ..db import get_session
from ..errors import FORM_ERRORS, flash_error, status_for
from ..i18n import _
from .forms import CameraEditForm, RemoveForm

bp = Blueprint("camera_changes", __name__, url_prefix="/cameras")


@bp.route("/<int:camera_id>/edit", methods=["GET", "POST"])
def edit(camera_id: int) -> Response | str | tuple[str, int]:
    identity, camera = _camera(camera_id)
    form = CameraEditForm(data={"name": camera.name})
    if not form.is_submitted():
        return _edit_page(form, camera)
    if not form.validate():
        return _edit_page(form, camera), 400
    session = get_session()
    source = (form.source.data or "").strip()
    try:
        changed = update_camera(session, camera.id, name=form.name.data, source=source,
                                cipher=_cipher() if has_secrets(source) else None,
                                actor=identity.username, user_id=identity.id, by=identity)
        session.commit()
    except FORM_ERRORS as exc:
        flash_error(exc)
        return _edit_page(form, camera), status_for(exc)
    if set(changed) == {"name", "source"}:
        flash(_("Camera %(name)s: name and source saved. Its worker starts again with the "
                "change within a minute.", name=camera.name), "success")
    elif changed == ["name"]:
        flash(_("Camera %(name)s: name saved. Its worker starts again with the change within "
                "a minute.", name=camera.name), "success")
    elif changed:
        flash(_("Camera %(name)s: source saved. Its worker starts again with the change "
                "within a minute.", name=camera.name), "success")
    else:
        flash(_("Camera %(name)s: nothing changed.", name=camera.name), "info")
    return redirect(url_for("cameras.index"))


@bp.get("/<int:camera_id>/remove")
def confirm_remove(camera_id: int) -> str:
    """What removing the camera does; when courses use it, the choice to detach it."""
    _, camera = _camera(camera_id)
    return _remove_page(camera, RemoveForm())


@bp.post("/<int:camera_id>/remove")
def remove(camera_id: int) -> Response | tuple[str, int]:
    identity, camera = _camera(camera_id)
    form = RemoveForm()
    if not form.validate():
        return _remove_page(camera, form), 400
    session = get_session()
    try:
        done = remove_camera(session, camera.id, detach=bool(form.detach.data),
                             actor=identity.username, user_id=identity.id, by=identity)
        session.commit()
    except CameraInUse as exc:
        flash_error(exc)
        return _remove_page(camera, form), status_for(exc)
    if done.detached:
        flash(_("Camera %(name)s removed. It was detached from %(courses)s, which now have no "
                "camera.", name=done.name, courses=", ".join(done.detached)), "success")
    else:
        flash(_("Camera %(name)s removed.", name=done.name), "success")
    return redirect(url_for("cameras.index"))


def _camera(camera_id: int) -> tuple[Identity, Camera]:
    identity = allowed_or_403(current_identity(), Action.MANAGE_CAMERAS)
    return identity, camera_or_404(get_session(), identity, camera_id)


def _edit_page(form: CameraEditForm, camera: Camera) -> str:
    return render_template("cameras/edit.html", form=form, camera=camera,
                           encrypted=camera.source_secret is not None)


def _remove_page(camera: Camera, form: RemoveForm) -> str:
    return render_template("cameras/remove.html", camera=camera, form=form,
                           courses=courses_filmed_by(get_session(), camera.id))


def _cipher() -> TemplateCipher:
    """The template key, which encrypts a source URL's credentials at rest."""
    settings: Settings = current_app.extensions["attendance.settings"]
    return TemplateCipher.from_settings(settings)
