"""Managing dashboard accounts: create with a one-time password, reset a password,
deactivate or reactivate, change a role. Each change is audited.

One rule holds whoever asks (the dashboard or the command line): the school never loses its
last active admin. Deactivating or demoting the only active admin is refused, with the
active admins' rows locked first (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite has one
writer at a time), so two admins demoting each other at once cannot both succeed.

An admin acts on other accounts only: their own password changes on the Password page, and
their own role or access is changed by another admin (or the operator), so nobody locks
themselves out by a slip. ``by`` is who asks (``attendance.access``: MANAGE_USERS, admins);
None is the operator at the shell.
"""

from __future__ import annotations

import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import access
from ..access import Action, Principal
from ..db import Role, User
from ..errors import Conflict, InvalidInput, NotFound
from ..messages import N_
from .audit import record_audit
from .users import create_user, hash_password

#: Bytes of randomness in a generated password (about 22 URL-safe characters).
GENERATED_PASSWORD_BYTES = 16


def generate_password() -> str:
    """A random password to show once (about 128 bits)."""
    return secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)


def list_users(session: Session, *, by: Principal | None = None) -> list[User]:
    """Every account, active ones first, by username."""
    access.require(session, by, Action.MANAGE_USERS)
    return list(session.scalars(select(User).order_by(User.active.desc(), User.username)))


def get_user(session: Session, user_id: int, *, by: Principal | None = None) -> User:
    """The account ``user_id``, or :class:`NotFound`."""
    access.require(session, by, Action.MANAGE_USERS)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such account.")
    return user


def create_account(
    session: Session, *, username: str, role: Role | str, actor: str,
    user_id: int | None = None, by: Principal | None = None,
) -> tuple[User, str]:
    """A new active account with a generated one-time password: (the account, the password
    to show once). The holder chooses their own password at the first sign-in. Audited as
    ``user.create``."""
    access.require(session, by, Action.MANAGE_USERS)
    password = generate_password()
    user = create_user(session, username=username, password=password, role=role, actor=actor,
                       user_id=user_id, must_change_password=True)
    return user, password


def reset_password(
    session: Session, target_id: int, *, actor: str, user_id: int | None = None,
    by: Principal | None = None,
) -> str:
    """Give account ``target_id`` a new one-time password (returned, to show once) and end
    every signed-in session of it. Audited as ``user.password_reset`` (without the
    password)."""
    user = get_user(session, target_id, by=by)
    _not_oneself(user, by, "reset your own password: change it on the Password page")
    password = generate_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    user.session_version += 1
    session.flush()
    record_audit(session, actor=actor, action="user.password_reset", target_type="user",
                 target_id=user.id, user_id=user_id, details={"username": user.username})
    return password


def set_active(
    session: Session, target_id: int, active: bool, *, actor: str, user_id: int | None = None,
    by: Principal | None = None,
) -> bool:
    """Deactivate (``active`` False: no sign-in, every session ends) or reactivate account
    ``target_id``; False when it already was so. Refuses to deactivate the last active
    admin. Audited as ``user.deactivate`` / ``user.reactivate``."""
    user = get_user(session, target_id, by=by)
    if user.active == active:
        return False
    if not active:
        _keep_an_admin(session, user, N_(
            "%(username)s is the only active admin and cannot be deactivated: make another "
            "account an admin first, so the school keeps one."))
        _not_oneself(user, by, N_("You cannot deactivate your own account; ask another admin."))
        user.session_version += 1
    user.active = active
    session.flush()
    record_audit(session, actor=actor, action="user.reactivate" if active else "user.deactivate",
                 target_type="user", target_id=user.id, user_id=user_id,
                 details={"username": user.username})
    return True


def set_role(
    session: Session, target_id: int, role: Role | str, *, actor: str,
    user_id: int | None = None, by: Principal | None = None,
) -> bool:
    """Make account ``target_id`` an admin or a teacher; False when it already is. Refuses
    to demote the last active admin. Audited as ``user.role_change`` (old and new role)."""
    try:
        new_role = Role(role).value
    except ValueError as exc:
        raise InvalidInput("role %(role)r is not one of admin, teacher", role=role) from exc
    user = get_user(session, target_id, by=by)
    if user.role == new_role:
        return False
    if new_role != Role.ADMIN.value:
        _keep_an_admin(session, user, N_(
            "%(username)s is the only active admin and cannot be made a teacher: make another "
            "account an admin first, so the school keeps one."))
    _not_oneself(user, by, N_("You cannot change your own role; ask another admin."))
    old_role, user.role = user.role, new_role
    session.flush()
    record_audit(session, actor=actor, action="user.role_change", target_type="user",
                 target_id=user.id, user_id=user_id,
                 details={"username": user.username, "from": old_role, "to": new_role})
    return True


def active_admin_count(session: Session) -> int:
    """How many accounts are active admins."""
    return int(session.scalar(select(func.count()).select_from(User).where(
        User.role == Role.ADMIN.value, User.active.is_(True))) or 0)


def _not_oneself(user: User, by: Principal | None, refusal: str) -> None:
    """Refuse (:class:`Conflict`, ``refusal``) when ``by`` is ``user``."""
    if by is not None and by.id == user.id:
        raise Conflict(refusal)


def _keep_an_admin(session: Session, user: User, refusal: str) -> None:
    """Refuse (:class:`Conflict`, ``refusal`` with ``%(username)s``) when ``user`` is the
    only active admin."""
    if user.role != Role.ADMIN.value or not user.active:
        return
    admins = session.scalars(
        select(User.id).where(User.role == Role.ADMIN.value, User.active.is_(True))
        .order_by(User.id).with_for_update()).all()
    if [i for i in admins if i != user.id]:
        return
    raise Conflict(refusal, username=user.username)


__all__ = ["GENERATED_PASSWORD_BYTES", "active_admin_count", "create_account",
           "generate_password", "get_user", "list_users", "reset_password", "set_active",
           "set_role"]
