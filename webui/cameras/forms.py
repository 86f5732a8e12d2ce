"""The admin's forms: register, change and remove a camera, and make it available to a
teacher."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from ..i18n import _l, _lp


class CameraForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=100)],
                       description=_l("How courses refer to it, e.g. room-101."))
    source = StringField(
        _lp("camera", "Source"), validators=[InputRequired(), Length(max=1000)],
        description=_l("A device index such as 0, a video file path, or an rtsp:// or http(s):// "
                    "URL. The camera worker opens it, not the dashboard."),
    )


class AvailabilityForm(FlaskForm):
    """Make the camera in the URL available to one teacher."""

    teacher = SelectField(_l("Teacher"), coerce=int, choices=[],
                          validators=[InputRequired(message=_l("Choose a teacher."))])


class WithdrawForm(FlaskForm):
    """Only a CSRF token; the camera and teacher are in the URL."""


class CameraEditForm(FlaskForm):
    """A camera's name and, when it changes, its source (empty: keep the stored one, whose
    credentials are never shown)."""

    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=100)])
    source = StringField(
        _l("New source (empty: keep the current one)"), validators=[Optional(), Length(max=1000)],
        description=_l("A device index such as 0, a video file path, or an rtsp:// or "
                    "http(s):// URL. A password in it is stored encrypted."),
    )


class RemoveForm(FlaskForm):
    """Remove the camera in the URL; ``detach`` is the answer when courses use it."""

    detach = BooleanField(_l("Detach it from these courses"))
