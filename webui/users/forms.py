"""The admin's account forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Length

from attendance.db import Role

from ..choices import select_choices

ROLE_CHOICES = ((Role.TEACHER.value, "Teacher"), (Role.ADMIN.value, "Admin"))


class NewUserForm(FlaskForm):
    """A new account; its one-time password is generated and shown once."""

    username = StringField(
        "Username", validators=[InputRequired(), Length(max=100)],
        description="Letters, digits, '.', '_', '@' or '-', e.g. a.lovelace.",
        render_kw={"autocomplete": "off"},
    )
    role = SelectField("Role", default=Role.TEACHER.value,
                       choices=select_choices(ROLE_CHOICES))


class RoleForm(FlaskForm):
    """The role of the account in the URL."""

    role = SelectField("Role", choices=select_choices(ROLE_CHOICES),
                       validators=[InputRequired()])


class AccountActionForm(FlaskForm):
    """Only a CSRF token; the account is in the URL."""
