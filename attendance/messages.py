"""Texts for people that the domain writes: English, with their values kept apart.

A :class:`Message` is the English text itself (a ``str``: the command line, the logs and
the audit trail use it as it is) that also remembers how it was made: its ``template``,
with named ``%(name)s`` placeholders, and the ``params`` filled into them. The dashboard
looks the template up in the reader's language and fills in the same values
(``webui.words.domain_text``), so the domain never imports a translation library.

Every template is a catalogue text: Babel extracts the first argument of ``Message(...)``,
of each domain error (``InvalidInput("...")`` & co.) and of ``N_("...")`` from the domain
packages (``babel.cfg``), so a template must be a plain string literal, never an f-string.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from types import MappingProxyType
from typing import Any


def N_(template: str) -> str:  # noqa: N802 - gettext's customary name
    """Mark ``template`` for the catalogue without doing anything (a module constant)."""
    return template


def english(value: object) -> object:
    """``value`` as the English text shows it: dates and times in ISO 8601, the rest as
    they are (``%`` formatting does the rest)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


class Message(str):
    """An English text for people (``str(message)``), its ``template`` and ``params``.

    ``Message("no user %(username)r", username="ana")`` is the text ``no user 'ana'``. The
    template is filled only when values are given, as gettext does, so a template without
    values may hold a bare ``%``. A value may itself be a :class:`Message` (a clause made
    elsewhere), a date or a time (ISO 8601 in English, the reader's format on the web).
    """

    template: str
    params: Mapping[str, Any]

    def __new__(cls, template: str, /, **params: Any) -> Message:
        text = template % {k: english(v) for k, v in params.items()} if params else template
        self = super().__new__(cls, text)
        self.template = template
        self.params = MappingProxyType(dict(params))
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        # A str subclass pickles as its text; keep the template and the values instead.
        return (_rebuild, (self.template, dict(self.params)))


def _rebuild(template: str, params: dict[str, Any]) -> Message:
    return Message(template, **params)


__all__ = ["Message", "N_", "english"]
