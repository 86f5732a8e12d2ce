"""The admin's forms: register a camera, and make it available to a teacher."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Length


class CameraForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired(), Length(max=100)],
                       description="How courses refer to it, e.g. room-101.")
    source = StringField(
        "Source", validators=[InputRequired(), Length(max=1000)],
        description="A device index such as 0, a video file path, or an rtsp:// or http(s):// "
                    "URL. The camera worker opens it, not the dashboard.",
    )


class AvailabilityForm(FlaskForm):
    """Make the camera in the URL available to one teacher."""

    teacher = SelectField("Teacher", coerce=int, choices=[],
                          validators=[InputRequired(message="Choose a teacher.")])


class WithdrawForm(FlaskForm):
    """Only a CSRF token; the camera and teacher are in the URL."""
