"""Student search and the enrollment form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileRequired, MultipleFileField
from wtforms import BooleanField, EmailField, HiddenField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional, Regexp

from attendance.db import Relation

from ..choices import select_choices

#: Deliberately loose: the address is only shown to teachers, never mailed by this program.
_EMAIL = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="Enter an address like name@school.edu.")


class EnrollForm(FlaskForm):
    """A new student. An enrolled student's photos are added on their page (``PhotosForm``),
    their name and email changed on ``StudentForm``: this form never updates anyone."""

    student_number = StringField("Student number", validators=[InputRequired(), Length(max=64)])
    display_name = StringField("Name", validators=[InputRequired(), Length(max=200)])
    email = EmailField("Email (optional)", validators=[Optional(), Length(max=254), _EMAIL])
    #: Choices and whether it may stay empty come from the access policy (the view).
    course = SelectField("Course whose roster the student joins", choices=[],
                         validators=[Optional()])
    consent = BooleanField(
        "The student (or a guardian) agreed to face recognition for attendance.",
        validators=[InputRequired(message="Enrollment needs the student's recorded consent.")],
    )
    consent_given_by = StringField("Their name (empty: the student's own)",
                                   validators=[Optional(), Length(max=200)])
    consent_relation = SelectField("Consent given by", default=Relation.STUDENT.value,
                                   choices=select_choices([
                                       (Relation.STUDENT.value, "the student"),
                                       (Relation.GUARDIAN.value, "a parent or guardian"),
                                   ]))
    photos = MultipleFileField(
        "Photos", validators=[FileRequired(message="Choose at least one photo.")],
        render_kw={"accept": "image/jpeg,image/png,image/webp"},
        description="One face per photo, looking at the camera, in good light. JPEG, PNG or WebP.",
    )
    allow_duplicate = BooleanField(
        "Enroll even if a photo looks like another enrolled student (admins only; audited)."
    )
    #: The look-alikes the form showed (signed, ``lookalike_token``) and the answer to them.
    lookalike_token = HiddenField()
    confirm_different = BooleanField(
        "I have checked: the photos show a different person than the student(s) above "
        "(audited)."
    )


class PhotosForm(FlaskForm):
    """More photos of an enrolled student (the student is in the URL)."""

    photos = MultipleFileField(
        "Photos", validators=[FileRequired(message="Choose at least one photo.")],
        render_kw={"accept": "image/jpeg,image/png,image/webp"},
        description="One face per photo, looking at the camera, in good light. JPEG, PNG or WebP.",
    )
    allow_duplicate = BooleanField(
        "Add even if a photo looks like another enrolled student (admins only; audited)."
    )
    lookalike_token = HiddenField()
    confirm_different = BooleanField(
        "I have checked: the photos show this student, not the student(s) above (audited)."
    )


class StudentForm(FlaskForm):
    """A student's name and email: renaming is this form's job, never enrollment's."""

    display_name = StringField("Name", validators=[InputRequired(), Length(max=200)])
    email = EmailField("Email (optional)", validators=[Optional(), Length(max=254), _EMAIL])
