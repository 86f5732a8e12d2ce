"""Options of select fields, as WTForms' ``SelectChoice`` (tuples are deprecated in 3.3)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wtforms import SelectChoice


def select_choices(pairs: Iterable[tuple[str, str]]) -> list[Any]:
    """``SelectChoice`` options from ``(value, label)`` pairs."""
    return [SelectChoice(value=value, label=label) for value, label in pairs]
