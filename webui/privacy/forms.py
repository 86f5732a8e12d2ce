"""Recording consent, and withdrawing it (a button: only the CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, Length

from ..choices import relation_choices
from ..i18n import _l


class ConsentForm(FlaskForm):
    given_by = StringField(_l("Name of the person giving consent"),
                           validators=[InputRequired(), Length(max=200)])
    relation = SelectField(_l("They are"), choices=relation_choices)
    notice_version = StringField(_l("Privacy notice version they were shown"),
                                 validators=[InputRequired(), Length(max=50)])
    all_courses = BooleanField(_l("For all courses"), default=True)
    courses = SelectMultipleField(_l("Only for these courses"), coerce=int, choices=[])


class WithdrawForm(FlaskForm):
    """Only a CSRF token: withdrawal is one click."""
