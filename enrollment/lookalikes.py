"""What becomes of a photo that resembles another enrolled student (``duplicates``' two
tiers), and what the enroller is shown about it.

* A **duplicate** is refused unless the duplicate check is overridden (``allow_duplicate``:
  an admin, or the operator's ``--allow-duplicates``).
* A **look-alike** is refused until the enroller confirms that the photo shows a different
  person: the confirmation names the look-alike's id (``confirmed_lookalikes``), so it covers
  that student only. The refusal carries a :class:`LookAlike` for the form: the look-alike's
  number and name only for someone who may see that student (``permissions``), the
  distance, and a small picture of the new face to compare with theirs.
"""

from __future__ import annotations

import io
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from attendance.messages import Message
from models import Box

from .duplicates import DuplicateMatch, Tier

#: The new face's picture on the confirmation: longest side in pixels, JPEG quality.
PREVIEW_SIDE = 192
PREVIEW_QUALITY = 85
#: Room around the face box in the picture, as a share of the box's size.
PREVIEW_MARGIN = 0.35


@dataclass(frozen=True)
class LookAlike:
    """An enrolled student a refused photo resembles, as the enroller may see it."""

    student_id: int
    #: The student's number and name; None when the enroller may not see the student.
    student_number: str | None
    display_name: str | None
    model_name: str
    distance: float
    #: The threshold the distance is at or below (see ``tier``).
    threshold: float
    tier: Tier
    #: JPEG of the new photo's face, to show beside the look-alike's kept photo.
    preview: bytes

    @property
    def named(self) -> bool:
        return self.student_number is not None


@dataclass(frozen=True)
class Verdict:
    """Whether a resembling photo is stored, and if not why (``reason``, ``message``)."""

    stored: bool
    reason: str | None = None
    message: str = ""
    lookalike: LookAlike | None = None


def judge(match: DuplicateMatch, *, filename: str, allow_duplicate: bool,
          confirmed: Collection[int], nameable: frozenset[str] | None,
          pixels: NDArray[np.uint8], box: Box) -> Verdict:
    """The verdict on a photo of ``filename`` that resembles ``match``; ``nameable`` are the
    student numbers the enroller may see (None: any)."""
    named = nameable is None or match.student_number in nameable
    if match.tier is Tier.DUPLICATE:
        if allow_duplicate:
            return Verdict(stored=True)
        if named:
            message = Message("%(filename)s: %(match)s; if this really is another person, "
                              "enroll again allowing duplicates", filename=filename,
                              match=match.describe())
        else:  # someone the enroller may not see: say nothing about who
            message = Message("%(filename)s: looks like a student enrolled in another class; "
                              "if this really is another person, ask an admin to enroll the "
                              "photo", filename=filename)
        return Verdict(stored=False, reason="duplicate", message=message)
    if allow_duplicate or match.student_id in confirmed:
        return Verdict(stored=True)
    lookalike = LookAlike(
        match.student_id, match.student_number if named else None,
        match.display_name if named else None, match.model_name, match.distance,
        match.threshold, match.tier, face_preview(pixels, box))
    return Verdict(stored=False, reason="lookalike", lookalike=lookalike,
                   message=Message("%(filename)s: %(match)s; store it only if you confirm it "
                                   "shows a different person", filename=filename,
                                   match=match.describe(named=named)))


def face_preview(pixels: NDArray[np.uint8], box: Box) -> bytes:
    """A small JPEG of the face in ``box`` (top, right, bottom, left) with some margin."""
    top, right, bottom, left = box
    height, width = pixels.shape[:2]
    pad_y = int((bottom - top) * PREVIEW_MARGIN)
    pad_x = int((right - left) * PREVIEW_MARGIN)
    crop = pixels[max(0, top - pad_y):min(height, bottom + pad_y),
                  max(0, left - pad_x):min(width, right + pad_x)]
    image = Image.fromarray(np.ascontiguousarray(crop), mode="RGB")
    image.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=PREVIEW_QUALITY)
    return buffer.getvalue()


__all__ = ["LookAlike", "Verdict", "face_preview", "judge"]
