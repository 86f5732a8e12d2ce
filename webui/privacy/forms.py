"""Recording consent, and withdrawing it (a button: only the CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, Length

from attendance.db import Relation

from ..choices import select_choices


class ConsentForm(FlaskForm):
    given_by = StringField("Name of the person giving consent",
                           validators=[InputRequired(), Length(max=200)])
    relation = SelectField("They are", choices=select_choices([
        (Relation.STUDENT.value, "the student"),
        (Relation.GUARDIAN.value, "a parent or guardian"),
    ]))
    notice_version = StringField("Privacy notice version they were shown",
                                 validators=[InputRequired(), Length(max=50)])
    all_courses = BooleanField("For all courses", default=True)
    courses = SelectMultipleField("Only for these courses", coerce=int, choices=[])


class WithdrawForm(FlaskForm):
    """Only a CSRF token: withdrawal is one click."""
