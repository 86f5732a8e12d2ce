"""A teacher's verdict on one sighting: the candidate student, and a CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField
from wtforms.validators import InputRequired
from wtforms.widgets import HiddenInput


class VerdictForm(FlaskForm):
    student_id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    #: On "yes, this is X": also add the sighting's face thumbnail to X's enrollment photos.
    add_photo = BooleanField()
