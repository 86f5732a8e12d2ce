"""The admin's form to register a camera."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, Length


class CameraForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired(), Length(max=100)],
                       description="How courses refer to it, e.g. room-101.")
    source = StringField(
        "Source", validators=[InputRequired(), Length(max=1000)],
        description="A device index such as 0, a video file path, or an rtsp:// or http(s):// "
                    "URL. The camera worker opens it, not the dashboard.",
    )
