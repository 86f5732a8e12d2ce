"""The date-range form of a course export (a GET form: it changes nothing, so no CSRF)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField
from wtforms.validators import InputRequired

from ..i18n import _, _l


class DateRangeForm(FlaskForm):
    class Meta:
        csrf = False

    date_from = DateField(_l("From"), validators=[InputRequired()])
    date_to = DateField(_l("To (inclusive)"), validators=[InputRequired()])

    def validate(self, extra_validators: Any = None) -> bool:
        if not super().validate(extra_validators):
            return False
        if self.date_to.data < self.date_from.data:
            self.date_to.errors = [*self.date_to.errors, _("Must not be before the start date.")]
            return False
        return True
