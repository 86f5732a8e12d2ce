"""The erasure's confirmation: the student's number typed again, so no click alone erases."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from ..i18n import _l


class EraseForm(FlaskForm):
    confirm_number = StringField(
        _l("Type the student number to confirm"),
        validators=[InputRequired(message=_l("Type the student number to confirm.")),
                    Length(max=64)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
