"""The look-alikes an enrollment form showed, carried to the confirmation as a signed token.

When a photo looks like another enrolled student the form shows who (as far as the user may
see) and asks to confirm that the photos show a different person. The students shown travel
in the page, signed with the app's secret key (itsdangerous), bound to the user and valid for
:data:`MAX_AGE_SECONDS`: a confirmation covers exactly the look-alikes that user was shown,
never others that a new choice of photos may bring up.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

MAX_AGE_SECONDS = 3600
_SALT = "enrollment-lookalikes"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def dump_lookalikes(student_ids: Iterable[int], user_id: int) -> str:
    return _serializer().dumps({"u": user_id, "s": sorted(set(student_ids))})


def load_lookalikes(token: str, user_id: int) -> frozenset[int]:
    """The student ids of ``token``; empty when it is missing, forged, too old or another
    user's (the form then simply asks again)."""
    if not token:
        return frozenset()
    try:
        payload: Any = _serializer().loads(token, max_age=MAX_AGE_SECONDS)
    except BadSignature:  # SignatureExpired is a BadSignature
        return frozenset()
    if not isinstance(payload, dict) or payload.get("u") != user_id:
        return frozenset()
    try:
        return frozenset(int(i) for i in payload["s"])
    except (KeyError, TypeError, ValueError):
        return frozenset()
