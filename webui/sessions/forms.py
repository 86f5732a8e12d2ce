"""Forms on the sessions pages: materialising the schedule, and manual corrections."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange

from attendance.db import Status

from ..choices import select_choices
from ..i18n import _l
from ..words import status_word

#: Most weeks materialised with one click (a long semester).
MAX_WEEKS = 26


def status_choices() -> list[Any]:
    """The statuses a teacher may set, named in the request's language."""
    return select_choices((s.value, _capitalised(status_word(s.value))) for s in Status)


def _capitalised(word: str) -> str:
    return word[:1].upper() + word[1:]


class MaterializeForm(FlaskForm):
    weeks = IntegerField(
        _l("Weeks ahead"), default=4,
        validators=[InputRequired(), NumberRange(min=1, max=MAX_WEEKS)],
    )


class ConfirmForm(FlaskForm):
    """The one-click confirmation of a session's marks (a CSRF token and nothing else)."""


class OverrideForm(FlaskForm):
    """A teacher's correction of one student's mark; built with ``prefix=f"s{student_id}"``
    so each row's fields have their own names and ids."""

    status = SelectField(_l("New status"), choices=status_choices, validators=[InputRequired()])
    reason = StringField(
        _l("Reason"), validators=[InputRequired(message=_l("Say why the mark is changed.")),
                                  Length(max=500)],
    )


def override_form(student_id: int) -> OverrideForm:
    return OverrideForm(prefix=f"s{student_id}")
