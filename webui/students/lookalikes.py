"""The enrollment forms' side of look-alikes (``enrollment.lookalikes``): what the
confirmation shows, and the confirmation read back from the form.

A look-alike is shown by name, with their kept photo beside the new face, only to a user
who may see that student (the service decides what is named); anyone else reads "a student
enrolled in another class" and sees the new face only.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from flask import url_for
from sqlalchemy import select
from wtforms import BooleanField, HiddenField

from attendance.db import FacePhoto
from enrollment import EnrollmentResult, LookAlike

from ..auth.identity import Identity
from ..db import get_read_session
from .lookalike_token import dump_lookalikes, load_lookalikes


@dataclass(frozen=True)
class Panel:
    """One look-alike on the form: who, the new face (a data: URL) and their kept photo."""

    lookalike: LookAlike
    new_face: str
    kept_photo: str | None


def confirmed(identity: Identity, confirm: BooleanField | None,
              token: HiddenField | None) -> frozenset[int]:
    """The look-alikes the user confirmed are different people: those the form showed them,
    when the box is ticked."""
    if confirm is None or token is None or not confirm.data:
        return frozenset()
    return load_lookalikes(token.data or "", identity.id)


def ask_again(result: EnrollmentResult | None, identity: Identity,
              confirm: BooleanField | None, token: HiddenField | None) -> list[Panel]:
    """The panels for ``result``'s look-alikes, with the form's token set to them and the
    box cleared (a new question needs a new answer); none when there are none."""
    lookalikes = result.lookalikes if result is not None else ()
    if token is not None:
        token.data = dump_lookalikes((la.student_id for la in lookalikes), identity.id) \
            if lookalikes else ""
    if confirm is not None:
        confirm.data = False
    return [_panel(la) for la in lookalikes]


def _panel(lookalike: LookAlike) -> Panel:
    kept = None
    if lookalike.named:  # the service names only students the user may see
        photo_id = get_read_session().scalar(
            select(FacePhoto.id).where(FacePhoto.student_id == lookalike.student_id,
                                       FacePhoto.file_path.is_not(None))
            .order_by(FacePhoto.id.desc()).limit(1))
        if photo_id is not None:
            kept = url_for("kept_photos.photo", student_id=lookalike.student_id,
                           photo_id=photo_id)
    data = base64.b64encode(lookalike.preview).decode("ascii")
    return Panel(lookalike, f"data:image/jpeg;base64,{data}", kept)
