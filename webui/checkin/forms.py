"""Forms of check-in codes: the student's (number + code) and the teacher's buttons."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from ..i18n import _l


class CheckinForm(FlaskForm):
    """What a student types on the public page."""

    student_number = StringField(
        _l("Student number"), validators=[InputRequired(), Length(max=64)],
        render_kw={"autocomplete": "off"},
    )
    code = StringField(
        _l("Code"), validators=[InputRequired(), Length(max=12)],
        description=_l("The six digits your teacher shows."),
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code"},
    )


class CodeButtonForm(FlaskForm):
    """Opening or closing a session's code: a CSRF token only."""
