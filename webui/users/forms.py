"""The admin's account forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Length

from attendance.db import Role

from ..choices import select_choices
from ..i18n import _l

ROLE_CHOICES = ((Role.TEACHER.value, _l("Teacher")), (Role.ADMIN.value, _l("Admin")))


class NewUserForm(FlaskForm):
    """A new account; its one-time password is generated and shown once."""

    username = StringField(
        _l("Username"), validators=[InputRequired(), Length(max=100)],
        description=_l("Letters, digits, '.', '_', '@' or '-', e.g. a.lovelace."),
        render_kw={"autocomplete": "off"},
    )
    role = SelectField(_l("Role"), default=Role.TEACHER.value,
                       choices=select_choices(ROLE_CHOICES))


class RoleForm(FlaskForm):
    """The role of the account in the URL."""

    role = SelectField(_l("Role"), choices=select_choices(ROLE_CHOICES),
                       validators=[InputRequired()])


class AccountActionForm(FlaskForm):
    """Only a CSRF token; the account is in the URL."""
