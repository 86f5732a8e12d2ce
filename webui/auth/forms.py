"""Sign-in form, the password form and the language choice."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import EqualTo, InputRequired, Length

from ..choices import select_choices
from ..i18n import LANGUAGES, _, _l


class LoginForm(FlaskForm):
    username = StringField(
        _l("Username"), validators=[InputRequired(), Length(max=100)],
        render_kw={"autocomplete": "username", "autofocus": True},
    )
    password = PasswordField(
        _l("Password"), validators=[InputRequired(), Length(max=1000)],
        render_kw={"autocomplete": "current-password"},
    )


class LogoutForm(FlaskForm):
    """Only a CSRF token: signing out is a POST so other sites cannot trigger it."""


class PasswordForm(FlaskForm):
    """The current password (proof it is really the account holder) and the new one twice."""

    current_password = PasswordField(
        _l("Current password"), validators=[InputRequired(), Length(max=1000)],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("New password"), validators=[InputRequired(), Length(min=8, max=1000)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[InputRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


#: The language choice meaning "follow the browser" (stored as NULL).
BROWSER_LANGUAGE = ""


def language_choices() -> list[Any]:
    """The browser's language, then each language named in itself."""
    return select_choices([(BROWSER_LANGUAGE, _("The browser's language")),
                           *LANGUAGES.items()])


class LanguageForm(FlaskForm):
    language = SelectField(_l("Language"), choices=language_choices)
