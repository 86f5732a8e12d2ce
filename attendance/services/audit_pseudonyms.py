"""An erased student's personal data out of the audit log, every entry kept.

Erasure (``attendance.services.erasure``) keeps the audit trail — who enrolled, corrected,
reviewed or exported what, and when — but the entries must stop saying *whom* it was about.
Each erased student gets a random pseudonym, ``erased-<12 hex digits>`` (random, not derived
from the student: nobody holding a number can recompute it), and in the audit log:

* every text equal to, or holding as a whole word, the student's number, name, email or the
  content hash of one of their photos becomes the pseudonym, wherever it appears (``actor``
  such as ``checkin:<number>``, another student's ``looks_like``, a correction's reason);
* in the entries *about* the student (target ``student`` with their id, or ``details``
  naming their ``student_id``), also each part of their name (3 letters or more) and every
  value under a key of :data:`PERSONAL_KEYS` (who gave consent, uploaded file names, ...).

Entry ids, times, actions, targets and counts stay, so the trail still adds up, and entries of
the same student stay linked by the one pseudonym. The rewrite is the audit guard's one
sanctioned update (``attendance.db.audit_guard.rewrite_for_erasure``).
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, and_, cast, or_, select
from sqlalchemy.orm import Session

from ..db import AuditLog
from ..db.audit_guard import rewrite_for_erasure

PSEUDONYM_PREFIX = "erased-"
#: In entries about the erased student, values under these keys are replaced whole.
PERSONAL_KEYS = frozenset({"student_number", "name", "display_name", "email", "given_by",
                           "file", "filename", "accepted", "content_hash"})
#: Tokens shorter than this are replaced only where a whole value equals them.
MIN_WORD = 3


def new_pseudonym() -> str:
    """A fresh pseudonym for one erased student."""
    return PSEUDONYM_PREFIX + secrets.token_hex(6)


@dataclass(frozen=True)
class ErasedIdentity:
    """What identified the erased student: ``tokens`` (number, name, email, photo hashes)
    are replaced in every entry, ``about_only`` (name parts, consent givers) only in entries
    about them."""

    student_id: int
    tokens: frozenset[str]
    about_only: frozenset[str]


def pseudonymise_audit(session: Session, identity: ErasedIdentity, pseudonym: str) -> int:
    """Rewrite every audit entry that names ``identity`` (module docstring); returns how many
    entries changed."""
    return rewrite_for_erasure(session, audit_rewrites(session, identity, pseudonym))


def audit_rewrites(session: Session, identity: ErasedIdentity,
                   pseudonym: str) -> dict[int, tuple[str, dict[str, Any]]]:
    """The new (actor, details) of every audit entry naming ``identity``, by entry id;
    nothing is written (the erasure's preview counts them)."""
    everywhere = _replacer(identity.tokens, pseudonym)
    about = _replacer(identity.tokens | identity.about_only, pseudonym)
    changes: dict[int, tuple[str, dict[str, Any]]] = {}
    for entry in session.scalars(_candidates(identity).order_by(AuditLog.id)):
        details = dict(entry.details or {})
        is_about = (entry.target_type == "student" and entry.target_id == identity.student_id
                    ) or details.get("student_id") == identity.student_id
        replace = about if is_about else everywhere
        new_details = _scrub(details, replace, pseudonym, whole_keys=is_about)
        new_actor = replace(entry.actor)
        if new_details != details or new_actor != entry.actor:
            changes[entry.id] = (new_actor[:200], new_details)
    return changes


def _candidates(identity: ErasedIdentity) -> Any:
    """The entries that may name the student, found in SQL (the details' JSON as text)."""
    as_text = cast(AuditLog.details, Text)
    conditions = [
        and_(AuditLog.target_type == "student", AuditLog.target_id == identity.student_id),
        as_text.contains(f'"student_id": {identity.student_id}', autoescape=True),
    ]
    for token in identity.tokens:
        for form in {token, json.dumps(token)[1:-1]}:  # as typed, and as JSON escapes it
            conditions.append(as_text.contains(form, autoescape=True))
        conditions.append(AuditLog.actor.contains(token, autoescape=True))
    return select(AuditLog).where(or_(*conditions))


def _replacer(tokens: Collection[str], pseudonym: str) -> Callable[[str], str]:
    """A function replacing each token in a text: a whole value always, inside a longer text
    as a whole word (letters and digits around it end a match) when long enough."""
    exact = {t.casefold() for t in tokens if t}
    words = sorted((t for t in tokens if len(t) >= MIN_WORD), key=len, reverse=True)
    pattern = re.compile(
        r"(?<![^\W_])(?:" + "|".join(re.escape(w) for w in words) + r")(?![^\W_])",
        re.IGNORECASE) if words else None

    def replace(text: str) -> str:
        if text.casefold() in exact:
            return pseudonym
        return pattern.sub(pseudonym, text) if pattern is not None else text

    return replace


def _scrub(value: Any, replace: Callable[[str], str], pseudonym: str, *, whole_keys: bool,
           key: str | None = None) -> Any:
    if isinstance(value, str):
        return pseudonym if whole_keys and key in PERSONAL_KEYS else replace(value)
    if isinstance(value, dict):
        return {k: _scrub(v, replace, pseudonym, whole_keys=whole_keys, key=k)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, replace, pseudonym, whole_keys=whole_keys, key=key) for v in value]
    return value


__all__ = ["PSEUDONYM_PREFIX", "ErasedIdentity", "audit_rewrites", "new_pseudonym",
           "pseudonymise_audit"]
