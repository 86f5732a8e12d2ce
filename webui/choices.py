"""Options of select fields, as WTForms' ``SelectChoice`` (tuples are deprecated in 3.3)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wtforms import SelectChoice

from attendance.db import Relation

from .i18n import _


def select_choices(pairs: Iterable[tuple[str, str]]) -> list[Any]:
    """``SelectChoice`` options from ``(value, label)`` pairs."""
    return [SelectChoice(value=value, label=label) for value, label in pairs]


def relation_choices() -> list[Any]:
    """Who gives consent (the student, or a parent or guardian), in the request's language."""
    return select_choices([(Relation.STUDENT.value, _("the student")),
                           (Relation.GUARDIAN.value, _("a parent or guardian"))])
