"""Recording consent, and withdrawing it (a button: only the CSRF token)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, Length

from attendance.db import Relation

from ..choices import select_choices
from ..i18n import _, _l


def relation_choices() -> list[Any]:
    """Who gives consent, in the request's language."""
    return select_choices([(Relation.STUDENT.value, _("the student")),
                           (Relation.GUARDIAN.value, _("a parent or guardian"))])


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
