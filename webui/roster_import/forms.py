"""The roster CSV upload, and the confirmation that carries the checked rows back."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField
from wtforms.validators import InputRequired


class UploadForm(FlaskForm):
    file = FileField(
        "CSV file",
        validators=[FileRequired(message="Choose a CSV file."),
                    FileAllowed(["csv", "txt"], "Choose a .csv file.")],
        render_kw={"accept": ".csv,text/csv"},
        description="Columns: student_number, name, email (optional), course_code; "
                    "a header row first. Nothing is written until you confirm.",
    )


class ConfirmForm(FlaskForm):
    #: The checked rows, signed by the server (see ``webui.roster_import.token``).
    token = HiddenField(validators=[InputRequired()])
