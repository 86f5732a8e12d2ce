"""The roster CSV upload, and the confirmation that carries the checked rows back."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField
from wtforms.validators import InputRequired

from ..i18n import _l


class UploadForm(FlaskForm):
    file = FileField(
        _l("CSV file"),
        validators=[FileRequired(message=_l("Choose a CSV file.")),
                    FileAllowed(["csv", "txt"], _l("Choose a .csv file."))],
        render_kw={"accept": ".csv,text/csv"},
        description=_l("Columns: student_number, name, email (optional), course_code; "
                    "a header row first. Nothing is written until you confirm."),
    )


class ConfirmForm(FlaskForm):
    #: The checked rows, signed by the server (see ``webui.roster_import.token``).
    token = HiddenField(validators=[InputRequired()])
