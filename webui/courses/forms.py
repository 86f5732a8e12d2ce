"""Course forms: details with a weekly schedule editor, and the roster."""

from __future__ import annotations

from datetime import time
from typing import Any
from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from attendance.services.courses import Slot

from ..choices import select_choices
from ..formatting import weekday_names
from ..i18n import _, _l

#: Empty schedule rows offered below the filled ones (no JavaScript needed to add rows).
BLANK_SLOT_ROWS = 2


def timezone_choices() -> list[Any]:
    """IANA region zones plus UTC (not the legacy aliases such as ``EST5EDT`` or ``localtime``)."""
    names = sorted(n for n in available_timezones() if "/" in n and not n.startswith("Etc/"))
    return select_choices((name, name) for name in ["UTC", *names])


def weekday_choices() -> list[Any]:
    """"—" (no weekday), then the weekdays in the request's language."""
    return select_choices([("", "—"), *((str(i), n) for i, n in enumerate(weekday_names()))])


class SlotForm(Form):
    """One weekly slot; a row left entirely empty is ignored."""

    weekday = SelectField(_l("Weekday"), choices=weekday_choices, validators=[Optional()])
    start = TimeField(_l("Start"), validators=[Optional()])
    end = TimeField(_l("End"), validators=[Optional()])

    def is_blank(self) -> bool:
        return not self.weekday.data and self.start.data is None and self.end.data is None

    def validate(self, extra_validators: Any = None) -> bool:
        if not super().validate(extra_validators):
            return False
        if self.is_blank():
            return True
        ok = True
        for field in (self.weekday, self.start, self.end):
            if field.data in (None, ""):
                field.errors = [*field.errors, _("Fill in weekday, start and end, or none.")]
                ok = False
        if ok and self.start.data >= self.end.data:
            self.end.errors = [*self.end.errors, _("Must be after the start.")]
            ok = False
        return ok

    def slot(self) -> Slot | None:
        if self.is_blank():
            return None
        start: time = self.start.data
        end: time = self.end.data
        return Slot(int(self.weekday.data), start, end)


class CourseForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=200)])
    timezone = SelectField(_l("Time zone"), validators=[InputRequired()])
    late_after_minutes = IntegerField(
        _l("Late after (minutes)"), default=10,
        validators=[InputRequired(), NumberRange(min=0, max=600)],
    )
    camera = SelectField(_l("Camera"), validators=[Optional()])
    face_recognition_enabled = BooleanField(_l("Use face recognition"), default=True)
    teacher = SelectField(_l("Teacher"), validators=[Optional()])
    slots = FieldList(FormField(SlotForm), min_entries=1)

    def schedule(self) -> list[Slot]:
        return [s for entry in self.slots if (s := entry.form.slot()) is not None]


class NewCourseForm(CourseForm):
    code = StringField(
        _l("Code"), validators=[InputRequired(), Length(max=50)],
        description=_l("Letters, digits, '.', '_' or '-'; cannot be changed later."),
    )


class RosterAddForm(FlaskForm):
    student_numbers = TextAreaField(
        _l("Student numbers"), validators=[InputRequired(), Length(max=20_000)],
        description=_l("One or more, separated by spaces, commas or new lines."),
    )

    def numbers(self) -> list[str]:
        text = (self.student_numbers.data or "").replace(",", " ")
        return sorted({n for n in text.split() if n})

    def validate_student_numbers(self, field: StringField) -> None:
        if not self.numbers():
            raise ValidationError(_("Give at least one student number."))


class RosterRemoveForm(FlaskForm):
    """Only a CSRF token; the student is in the URL."""
