"""A student's kept enrollment photo, for whoever may see that student: the enrollment
form shows it beside a new photo that looks like them. Kept photos are encrypted files
(``enrollment.storage``); they are decrypted here, per request, and never cached."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app

from attendance.config import Settings
from attendance.crypto import TemplateCipher, photo_aad
from attendance.db import FacePhoto
from attendance.errors import TemplateDecryptionError
from enrollment import read_photo

from ..access import student_or_404
from ..auth.identity import current_identity
from ..db import get_session

bp = Blueprint("kept_photos", __name__, url_prefix="/students")


@bp.get("/<int:student_id>/photos/<int:photo_id>.jpg")
def photo(student_id: int, photo_id: int) -> Response:
    session = get_session()
    student = student_or_404(session, current_identity(), student_id)
    row = session.get(FacePhoto, photo_id)
    if row is None or row.student_id != student.id or not row.file_path:
        abort(404)
    settings: Settings = current_app.extensions["attendance.settings"]
    try:
        data = read_photo(settings.instance_path, row.file_path,
                          TemplateCipher.from_settings(settings),
                          photo_aad(student.id, row.content_hash))
    except (OSError, TemplateDecryptionError):
        abort(404)  # purged since (keep_photos off), or unreadable: nothing to show
    return Response(data, mimetype="image/jpeg")
