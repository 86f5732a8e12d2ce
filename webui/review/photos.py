"""Kept face thumbnails on the review pages: which ones exist, the ones a group shows, and
turning a confirmed face into one more enrollment photo of its student."""

from __future__ import annotations

from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from attendance import access
from attendance.access import Action
from attendance.config import Settings
from attendance.crypto import TemplateCipher
from attendance.db import Sighting, Student
from attendance.errors import TemplateDecryptionError
from attendance.services.consent import has_consent
from attendance.services.review_queue import GroupSighting, ReviewGroup
from attendance.services.unsure import closeness, model_evidence
from attendance.thumbnail_files import existing_thumbnail
from attendance.worker.thumbnails import read_thumbnail
from enrollment import Mode, Outcome, PhotoUpload, enroll_student

from ..auth.identity import Identity
from ..embedders import get_embedders
from ..i18n import _
from ..words import domain_text

#: Faces shown per review group: its closest likenesses that have a kept thumbnail.
FACES_PER_GROUP = 3


def settings() -> Settings:
    """The app's settings."""
    found: Settings = current_app.extensions["attendance.settings"]
    return found


def thumbnail_file(sighting: Sighting | GroupSighting) -> Path | None:
    """The sighting's kept thumbnail file, or None when there is none (not kept, expired,
    or never written)."""
    return existing_thumbnail(settings().instance_path, sighting.seen_at, sighting.dedupe_key)


def group_faces(group: ReviewGroup, limit: int = FACES_PER_GROUP) -> list[GroupSighting]:
    """The group's closest likenesses with a kept thumbnail, at most ``limit``."""
    shown = []
    for sighting in group.sightings:
        if thumbnail_file(sighting) is not None:
            shown.append(sighting)
            if len(shown) == limit:
                break
    return shown


def closest_face(session: Session, sighting_ids: list[int], student_id: int) -> Sighting | None:
    """Of ``sighting_ids``, the closest likeness of ``student_id`` with a kept thumbnail."""
    if not sighting_ids:
        return None
    found = session.scalars(select(Sighting).where(Sighting.id.in_(sighting_ids))).all()
    ranked = sorted(found, key=lambda s: (closeness(model_evidence(s.evidence or {}),
                                                    student_id), s.seen_at, s.id))
    return next((s for s in ranked if thumbnail_file(s) is not None), None)


def add_thumbnail(
    session: Session, identity: Identity, sighting: Sighting, student: Student
) -> tuple[str, str]:
    """Enroll the sighting's face thumbnail as one more photo of ``student``, in the request's
    transaction; (message, flash category) telling what became of it. Per-photo refusals
    (quality checks, duplicates) are reported, not raised."""
    config = settings()
    name = student.display_name
    path = thumbnail_file(sighting)
    if path is None or sighting.dedupe_key is None:
        if config.keep_thumbnails:
            return _("No face thumbnail is kept for this sighting; nothing was added to "
                     "%(name)s's enrollment photos.", name=name), "error"
        return _("No face thumbnail is kept for this sighting (thumbnails are off: setting "
                 "keep_thumbnails); nothing was added to %(name)s's enrollment photos.",
                 name=name), "error"
    if not access.may(session, identity, Action.ADD_PHOTOS, student):
        return _("You may not add photos to %(name)s: they are also on another teacher's "
                 "course; ask an admin.", name=name), "error"
    if not has_consent(session, student.id):
        return _("%(name)s has no active consent to face recognition; the thumbnail was not "
                 "added to their enrollment photos.", name=name), "error"
    try:
        data = read_thumbnail(path, sighting.dedupe_key, TemplateCipher.from_settings(config))
    except (OSError, TemplateDecryptionError) as exc:
        return _("The thumbnail of this sighting could not be read (%(error)s); nothing was "
                 "added to %(name)s's enrollment photos.", error=exc, name=name), "error"
    result = enroll_student(
        session, config, get_embedders(),
        student_number=student.student_number,
        consent_by=student.consent_given_by or identity.username,
        photos=[PhotoUpload(f"sighting {sighting.id} thumbnail", data)],
        actor=identity.username, mode=Mode.ADD_PHOTOS, by=identity,
    )
    outcome = result.photos[0]
    if outcome.outcome is Outcome.ACCEPTED:
        return _("The face from this sighting was added to %(name)s's enrollment photos.",
                 name=name), "success"
    if outcome.outcome is Outcome.SKIPPED:
        return _("The face from this sighting is already one of %(name)s's enrollment "
                 "photos.", name=name), "success"
    return _("The face from this sighting was not added to %(name)s's enrollment photos: "
             "%(reason)s", name=name, reason=domain_text(outcome.message)), "error"


__all__ = ["FACES_PER_GROUP", "add_thumbnail", "closest_face", "group_faces", "settings",
           "thumbnail_file"]
