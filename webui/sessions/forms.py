"""Forms on the sessions pages: materialising the schedule, and manual corrections."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange

from attendance.db import Status

from ..choices import select_choices

#: Most weeks materialised with one click (a long semester).
MAX_WEEKS = 26


class MaterializeForm(FlaskForm):
    weeks = IntegerField(
        "Weeks ahead", default=4, validators=[InputRequired(), NumberRange(min=1, max=MAX_WEEKS)],
    )


class ConfirmForm(FlaskForm):
    """The one-click confirmation of a session's marks (a CSRF token and nothing else)."""


class OverrideForm(FlaskForm):
    """A teacher's correction of one student's mark; built with ``prefix=f"s{student_id}"``
    so each row's fields have their own names and ids."""

    status = SelectField(
        "New status", choices=select_choices((s.value, s.value.capitalize()) for s in Status),
        validators=[InputRequired()],
    )
    reason = StringField(
        "Reason", validators=[InputRequired(message="Say why the mark is changed."),
                              Length(max=500)],
    )


def override_form(student_id: int) -> OverrideForm:
    return OverrideForm(prefix=f"s{student_id}")
