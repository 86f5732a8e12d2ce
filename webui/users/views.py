"""Users: the admin's list of accounts; create one, reset a password (a one-time password
shown once), deactivate or reactivate, change a role. Every change is audited by the
service (``attendance.services.user_admin``), which also keeps the school's last active
admin."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from attendance.access import Action
from attendance.db import User
from attendance.services.user_admin import (
    create_account,
    get_user,
    list_users,
    reset_password,
    set_active,
    set_role,
)

from ..access import allowed_or_403
from ..auth.identity import Identity, current_identity
from ..db import get_session
from ..errors import FORM_ERRORS, flash_error, status_for
from ..i18n import _
from .forms import AccountActionForm, NewUserForm, RoleForm

bp = Blueprint("users", __name__, url_prefix="/users")


@bp.get("/")
def index() -> str:
    identity = allowed_or_403(current_identity(), Action.MANAGE_USERS)
    return _render(identity, NewUserForm())


@bp.post("/")
def create() -> str | tuple[str, int]:
    """A new account with a one-time password, shown on the answer page only."""
    identity = allowed_or_403(current_identity(), Action.MANAGE_USERS)
    form = NewUserForm()
    if not form.validate():
        return _render(identity, form), 400
    session = get_session()
    try:
        user, password = create_account(session, username=form.username.data or "",
                                        role=form.role.data or "", actor=identity.username,
                                        user_id=identity.id, by=identity)
        session.commit()
    except FORM_ERRORS as exc:
        flash_error(exc)
        return _render(identity, form), status_for(exc)
    return render_template("users/one_time.html", account=user, password=password,
                           created=True), 201


@bp.post("/<int:user_id>/password")
def reset(user_id: int) -> str | Response | tuple[str, int]:
    """A new one-time password for the account; its signed-in sessions end."""
    identity = allowed_or_403(current_identity(), Action.MANAGE_USERS)
    if not AccountActionForm().validate():
        return redirect(url_for("users.index"))
    session = get_session()
    try:
        password = reset_password(session, user_id, actor=identity.username,
                                  user_id=identity.id, by=identity)
        user = get_user(session, user_id, by=identity)
        session.commit()
    except FORM_ERRORS as exc:
        flash_error(exc)
        return _render(identity, NewUserForm(formdata=None)), status_for(exc)
    return render_template("users/one_time.html", account=user, password=password,
                           created=False)


@bp.post("/<int:user_id>/deactivate")
def deactivate(user_id: int) -> Response | tuple[str, int]:
    return _set_active(user_id, active=False)


@bp.post("/<int:user_id>/reactivate")
def reactivate(user_id: int) -> Response | tuple[str, int]:
    return _set_active(user_id, active=True)


@bp.post("/<int:user_id>/role")
def role(user_id: int) -> Response | tuple[str, int]:
    identity = allowed_or_403(current_identity(), Action.MANAGE_USERS)
    form = RoleForm()
    if not form.validate():
        flash(_("Choose admin or teacher."), "error")
        return _render(identity, NewUserForm(formdata=None)), 400
    session = get_session()
    try:
        changed = set_role(session, user_id, form.role.data or "", actor=identity.username,
                           user_id=identity.id, by=identity)
        user = get_user(session, user_id, by=identity)
        session.commit()
    except FORM_ERRORS as exc:
        flash_error(exc)
        return _render(identity, NewUserForm(formdata=None)), status_for(exc)
    if user.role == "admin":
        flash(_("%(name)s is an admin now.", name=user.username) if changed
              else _("%(name)s already was an admin.", name=user.username), "success")
    else:
        flash(_("%(name)s is a teacher now.", name=user.username) if changed
              else _("%(name)s already was a teacher.", name=user.username), "success")
    return redirect(url_for("users.index"))


def _set_active(user_id: int, *, active: bool) -> Response | tuple[str, int]:
    identity = allowed_or_403(current_identity(), Action.MANAGE_USERS)
    if not AccountActionForm().validate():
        return redirect(url_for("users.index"))
    session = get_session()
    try:
        changed = set_active(session, user_id, active, actor=identity.username,
                             user_id=identity.id, by=identity)
        user = get_user(session, user_id, by=identity)
        session.commit()
    except FORM_ERRORS as exc:
        flash_error(exc)
        return _render(identity, NewUserForm(formdata=None)), status_for(exc)
    if not changed:
        flash(_("%(name)s already was active.", name=user.username) if active
              else _("%(name)s already was deactivated.", name=user.username), "info")
    elif active:
        flash(_("%(name)s may sign in again, with their old password.", name=user.username),
              "success")
    else:
        flash(_("%(name)s is deactivated: they cannot sign in, and their open sessions have "
                "ended. Their courses keep naming them.", name=user.username), "success")
    return redirect(url_for("users.index"))


def _render(identity: Identity, form: NewUserForm) -> str:
    users: list[User] = list_users(get_session(), by=identity)
    return render_template("users/index.html", users=users, form=form,
                           action_form=AccountActionForm(), me=identity.id)
