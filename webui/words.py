"""The domain's words in the reader's language: statuses, sources, roles, verdicts, a rate's
basis, and the English messages that services hand to the dashboard.

The domain stores and returns plain English codes ("present", "auto", "teacher") and English
sentences: its errors and other messages (``attendance.messages.Message``: a template and
its values, extracted into the catalogues) and a few older plain texts (why a student cannot
be recognised, why a sighting is unsure). The dashboard shows them through these functions;
a text it does not know is shown as it is.
"""

from __future__ import annotations

import re
from typing import Any

from babel.lists import format_list
from flask import Flask

from attendance.errors import AttendanceError
from attendance.messages import Message, english
from attendance.services import checkin
from attendance.services.camera_health import Health
from attendance.services.rates import RateFigures
from attendance.services.recognisability import INACTIVE, NO_CONSENT, RECOGNITION_OFF
from attendance.services.unsure import DIFFERENT_STUDENTS, TWO_STUDENTS_ALIKE

from .formatting import DISTANCE_DIGITS, THRESHOLD_DIGITS, number
from .i18n import _, current_language, ngettext, npgettext, pgettext


def status_word(status: str | None, count: int = 1) -> str:
    """An attendance status (present, late, absent, excused, unrecorded) as a word;
    ``count``: how many it describes (some languages inflect it)."""
    if status == "present":
        return npgettext("attendance status", "present", "present", count)
    if status == "late":
        return npgettext("attendance status", "late", "late", count)
    if status == "absent":
        return npgettext("attendance status", "absent", "absent", count)
    if status == "excused":
        return npgettext("attendance status", "excused", "excused", count)
    if status == "unrecorded":
        return npgettext("attendance status", "unrecorded", "unrecorded", count)
    return status or ""


def source_word(source: str | None) -> str:
    """Where a mark came from: the camera (auto) or a teacher (manual)."""
    if source == "auto":
        return pgettext("mark source", "camera")
    if source == "manual":
        return pgettext("mark source", "by hand")
    return source or ""


def role_name(role: str) -> str:
    if role == "admin":
        return pgettext("user role", "admin")
    if role == "teacher":
        return pgettext("user role", "teacher")
    return role


def relation_word(relation: str) -> str:
    """Who gave a consent, relative to the student, in one word (a table cell)."""
    if relation == "student":
        return pgettext("consent given by", "student")
    if relation == "guardian":
        return pgettext("consent given by", "guardian")
    return relation


def verdict_word(verdict: str | None) -> str:
    """A teacher's verdict on a sighting ("confirmed", "rejected")."""
    if verdict == "confirmed":
        return pgettext("review verdict", "confirmed")
    if verdict == "rejected":
        return pgettext("review verdict", "rejected")
    return verdict or ""


def photo_outcome(outcome: str, lookalike: bool = False) -> str:
    """What became of one photo of an upload (``enrollment.Outcome``)."""
    if lookalike:
        return _("needs your confirmation")
    if outcome == "accepted":
        return pgettext("photo outcome", "accepted")
    if outcome == "skipped":
        return pgettext("photo outcome", "skipped")
    if outcome == "rejected":
        return pgettext("photo outcome", "rejected")
    if outcome == "held":
        return _("not stored yet")
    return outcome


def health_word(health: str) -> str:
    """A camera's health (``attendance.services.camera_health.Health``)."""
    if health == Health.ALIVE:
        return pgettext("camera health", "alive")
    if health == Health.STALE:
        return pgettext("camera health", "stale")
    if health == Health.FAILING:
        return pgettext("camera health", "failing")
    if health == Health.NEVER:
        return pgettext("camera health", "never seen")
    return health


def worker_status(status: str) -> str:
    """A camera worker process's state under ``attendance serve``."""
    if status == "running":
        return pgettext("worker process", "running")
    if status == "restarting":
        return pgettext("worker process", "restarting")
    if status == "stopped":
        return pgettext("worker process", "stopped")
    return status


def rate_basis(figures: RateFigures, unit: str = "marks") -> str:
    """The basis of a rate in words: "rate over 4 recorded students; left out: 3 not
    recorded yet" (``unit``: "marks" or "students")."""
    if unit == "students":
        basis = ngettext("rate over %(num)d recorded student",
                         "rate over %(num)d recorded students", figures.recorded)
    else:
        basis = ngettext("rate over %(num)d recorded mark", "rate over %(num)d recorded marks",
                         figures.recorded)
    left = []
    if figures.unrecorded:
        left.append(ngettext("%(num)d not recorded yet", "%(num)d not recorded yet",
                             figures.unrecorded))
    if figures.excused:
        left.append(ngettext("%(num)d excused", "%(num)d excused", figures.excused))
    if not left:
        return basis
    return _("%(basis)s; left out: %(left)s", basis=basis, left=", ".join(left))


#: Texts of attendance.services.unsure and .recognisability that carry values.
_NO_PHOTO = re.compile(r"no accepted photo for the face models? (?P<models>.+)")
_DISAGREE = re.compile(r"models disagree: (?P<models>.+) did not accept")
_FUSED_CLOSE = re.compile(r"fused score just below acceptance \(p (?P<p>[0-9.]+)\)")
_JUST_ABOVE = re.compile(r"(?P<model>\S+) distance (?P<distance>[0-9.]+) just above its "
                         r"threshold (?P<threshold>[0-9.]+)")


def domain_text(text: str) -> str:
    """One of the domain's English texts in the reader's language: a :class:`Message` (an
    error's or a result's) is looked up by its template and filled with its values, the
    older plain explanations (why a student cannot be recognised, why a sighting is unsure)
    are recognised by their wording; any other text is shown as it is."""
    if isinstance(text, Message):
        return _(text.template, **{k: _value(v) for k, v in text.params.items()})
    fixed = {
        RECOGNITION_OFF: lambda: _("face recognition is off for this course"),
        NO_CONSENT: lambda: _("no active consent covering this course"),
        INACTIVE: lambda: _("student is marked inactive"),
        DIFFERENT_STUDENTS: lambda: _("models name different students"),
        TWO_STUDENTS_ALIKE: lambda: _("the face looks about as much like two students"),
        checkin.NO_MATCH: lambda: _(
            "That student number and code do not match an open check-in. Check both and try "
            "again, or ask your teacher."),
        checkin.SESSION_CONFIRMED: lambda: _(
            "your teacher has confirmed this session's attendance; ask them"),
        checkin.ALREADY_MARKED: lambda: _(
            "your teacher has already recorded your attendance for this session"),
        checkin.SESSION_ENDED: lambda: _(
            "this session has ended; mark late arrivals by hand instead"),
        checkin.MARKS_CONFIRMED: lambda: _(
            "this session's marks are confirmed; it takes no more check-ins"),
    }
    if text in fixed:
        return fixed[text]()
    if match := _NO_PHOTO.fullmatch(text):
        raw = match["models"]
        either = " or " in raw
        models = [m for m in re.split(r", | or ", raw) if m]
        joined = format_list(models, style="or" if either else "standard",
                             locale=current_language())
        return ngettext("no accepted photo for the face model %(models)s",
                        "no accepted photo for the face models %(models)s", len(models),
                        models=joined)
    if match := _DISAGREE.fullmatch(text):
        return _("models disagree: %(models)s did not accept", models=match["models"])
    if match := _FUSED_CLOSE.fullmatch(text):
        return _("fused score just below acceptance (p(same person) %(probability)s)",
                 probability=number(float(match["p"]), DISTANCE_DIGITS))
    if match := _JUST_ABOVE.fullmatch(text):
        return _("%(model)s distance %(distance)s just above its threshold %(threshold)s",
                 model=match["model"],
                 distance=number(float(match["distance"]), DISTANCE_DIGITS),
                 threshold=number(float(match["threshold"]), THRESHOLD_DIGITS))
    return text


def _value(value: Any) -> Any:
    """A message's value for the reader: a clause (a :class:`Message`) translated; dates
    and times as the English text writes them (ISO 8601, the same in every language: the
    message does not say in which time zone a reader would want them); the rest as is."""
    if isinstance(value, Message):
        return domain_text(value)
    return english(value)


def error_text(exc: AttendanceError) -> str:
    """A domain error's message in the reader's language (``str(exc)`` stays English)."""
    return domain_text(exc.message)


def register_globals(app: Flask) -> None:
    """Make these functions available to every template."""
    app.jinja_env.globals.update(
        status_word=status_word, source_word=source_word, role_name=role_name,
        verdict_word=verdict_word, relation_word=relation_word, rate_basis=rate_basis,
        domain_text=domain_text, health_word=health_word, worker_status=worker_status,
        photo_outcome=photo_outcome,
    )
    # As a filter too: a list of the domain's texts, each translated (``|map('domain_text')``).
    app.jinja_env.filters["domain_text"] = domain_text


__all__ = ["domain_text", "error_text", "health_word", "photo_outcome", "rate_basis",
           "register_globals", "relation_word", "role_name", "source_word", "status_word",
           "verdict_word", "worker_status"]
