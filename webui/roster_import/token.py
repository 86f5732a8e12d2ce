"""The rows of a previewed import, carried to the confirmation as a signed token.

Nothing is kept on the server between preview and confirm: the rows travel in the page,
signed with the app's secret key (itsdangerous), bound to the user who previewed them and
valid for :data:`MAX_AGE_SECONDS`. The confirmation re-checks them against the database.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from attendance.services.roster_import import ImportRow

MAX_AGE_SECONDS = 3600
_SALT = "roster-import"


class ExpiredPreview(Exception):  # noqa: N818  (a condition, reported to the user)
    """The token is forged, damaged, too old or someone else's."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def dump_rows(rows: list[ImportRow], user_id: int) -> str:
    payload = {"u": user_id, "r": [[r.line, r.student_number, r.name, r.email, r.course_code]
                                   for r in rows]}
    return _serializer().dumps(payload)


def load_rows(token: str, user_id: int) -> list[ImportRow]:
    try:
        payload: Any = _serializer().loads(token, max_age=MAX_AGE_SECONDS)
    except BadSignature as exc:  # SignatureExpired is a BadSignature
        raise ExpiredPreview from exc
    if not isinstance(payload, dict) or payload.get("u") != user_id:
        raise ExpiredPreview
    try:
        return [ImportRow(int(line), str(number), str(name), str(email), str(code))
                for line, number, name, email, code in payload["r"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise ExpiredPreview from exc
