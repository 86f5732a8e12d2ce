"""Teachers' verdicts in the review queue: on one sighting, or on a (session, student) group."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField
from wtforms.validators import InputRequired, NumberRange
from wtforms.widgets import HiddenInput


class VerdictForm(FlaskForm):
    """A verdict on one sighting: the candidate student, and a CSRF token."""

    student_id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    #: On "yes, this is X": also add the sighting's face thumbnail to X's enrollment photos.
    add_photo = BooleanField()


class GroupVerdictForm(FlaskForm):
    """One verdict on a group of the queue (the session and student are in the URL)."""

    #: The newest sighting the teacher was shown: the verdict settles the group up to it.
    upto = IntegerField(widget=HiddenInput(), validators=[InputRequired(), NumberRange(min=1)])
    #: On "yes, this is X": also add the group's closest face to X's enrollment photos.
    add_photo = BooleanField()
