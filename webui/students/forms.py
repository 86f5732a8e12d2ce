"""Student search and the enrollment form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileRequired, MultipleFileField
from wtforms import BooleanField, EmailField, HiddenField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional, Regexp

from attendance.db import Relation

from ..choices import relation_choices
from ..i18n import _l

#: Deliberately loose: the address is only shown to teachers, never mailed by this program.
_EMAIL = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Enter an address like name@school.edu."))


def _photos_field() -> MultipleFileField:
    """The photos of an upload, as the enrollment and the add-photos forms both ask them."""
    return MultipleFileField(
        _l("Photos"), validators=[FileRequired(message=_l("Choose at least one photo."))],
        render_kw={"accept": "image/jpeg,image/png,image/webp"},
        description=_l("One face per photo, looking at the camera, in good light. JPEG, PNG or "
                       "WebP."),
    )


class EnrollForm(FlaskForm):
    """A new student. An enrolled student's photos are added on their page (``PhotosForm``),
    their name and email changed on ``StudentForm``: this form never updates anyone."""

    student_number = StringField(_l("Student number"), validators=[InputRequired(), Length(max=64)])
    display_name = StringField(_l("Name"), validators=[InputRequired(), Length(max=200)])
    email = EmailField(_l("Email (optional)"), validators=[Optional(), Length(max=254), _EMAIL])
    #: Choices and whether it may stay empty come from the access policy (the view).
    course = SelectField(_l("Course whose roster the student joins"), choices=[],
                         validators=[Optional()])
    consent = BooleanField(
        _l("The student (or a guardian) agreed to face recognition for attendance."),
        validators=[InputRequired(message=_l("Enrollment needs the student's recorded consent."))],
    )
    consent_given_by = StringField(_l("Their name (empty: the student's own)"),
                                   validators=[Optional(), Length(max=200)])
    consent_relation = SelectField(_l("Consent given by"), default=Relation.STUDENT.value,
                                   choices=relation_choices)
    photos = _photos_field()
    allow_duplicate = BooleanField(
        _l("Enroll even if a photo looks like another enrolled student (admins only; audited).")
    )
    #: The look-alikes the form showed (signed, ``lookalike_token``) and the answer to them.
    lookalike_token = HiddenField()
    confirm_different = BooleanField(
        _l("I have checked: the photos show a different person than the student(s) above "
        "(audited).")
    )


class PhotosForm(FlaskForm):
    """More photos of an enrolled student (the student is in the URL)."""

    photos = _photos_field()
    allow_duplicate = BooleanField(
        _l("Add even if a photo looks like another enrolled student (admins only; audited).")
    )
    lookalike_token = HiddenField()
    confirm_different = BooleanField(
        _l("I have checked: the photos show this student, not the student(s) above (audited).")
    )


class StudentForm(FlaskForm):
    """A student's name and email: renaming is this form's job, never enrollment's."""

    display_name = StringField(_l("Name"), validators=[InputRequired(), Length(max=200)])
    email = EmailField(_l("Email (optional)"), validators=[Optional(), Length(max=254), _EMAIL])
