"""Control characters in text that people type or files carry: found, refused or stripped.

A *control character* here is any Unicode character of category ``Cc``: the C0 range
U+0000-U+001F (NUL, bell, escape, ...), DEL U+007F and the C1 range U+0080-U+009F. None of
them belongs in a name, a number or a reason: PostgreSQL refuses NUL in text columns (a 500
instead of a clear answer), spreadsheets refuse most of them (openpyxl raises), terminals
obey escapes and log lines can be forged with line breaks. Tab, line feed and carriage
return are the exceptions where text may span lines (a textarea); callers say whether they
allow them.

The edges refuse them (:func:`refuse_control_characters`: the dashboard's request hook, the
command line's argument check, bulk-enrollment manifest rows); outputs that must not fail on
older data strip them (:func:`strip_control_characters`, the XLSX export).
"""

from __future__ import annotations

import unicodedata

from .errors import InvalidInput
from .messages import Message

#: The control characters a multi-line text (a textarea) legitimately holds.
LINE_BREAKS = frozenset("\t\n\r")


def is_control_character(char: str, *, allow_line_breaks: bool = False) -> bool:
    """Whether ``char`` (one character) is a control character (category ``Cc``); tab, line
    feed and carriage return count as ordinary text when ``allow_line_breaks``."""
    if allow_line_breaks and char in LINE_BREAKS:
        return False
    return unicodedata.category(char) == "Cc"


def first_control_character(text: str, *, allow_line_breaks: bool = False) -> str | None:
    """The first control character in ``text``, or None when there is none."""
    for char in text:
        if is_control_character(char, allow_line_breaks=allow_line_breaks):
            return char
    return None


def describe(char: str) -> str:
    """``char`` as people can read it in a message, e.g. ``U+0000 (NUL)``."""
    names = {"\x00": "NUL", "\t": "tab", "\n": "line feed", "\r": "carriage return",
             "\x1b": "escape", "\x7f": "DEL"}
    name = names.get(char)
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")


def control_character_problem(text: str, what: str, *, allow_line_breaks: bool = False
                              ) -> str | None:
    """Why ``text`` (called ``what`` in the message: a :class:`Message` where the dashboard
    shows it) is refused, or None when it is fine."""
    char = first_control_character(text, allow_line_breaks=allow_line_breaks)
    if char is None:
        return None
    return Message("%(what)s contains the control character %(char)s, which is not allowed in "
                   "text; remove it and try again", what=what, char=describe(char))


def refuse_control_characters(text: str, what: str, *, allow_line_breaks: bool = False) -> str:
    """``text`` unchanged, or :class:`InvalidInput` naming ``what`` and the character."""
    problem = control_character_problem(text, what, allow_line_breaks=allow_line_breaks)
    if problem is not None:
        raise InvalidInput(problem)
    return text


def strip_control_characters(text: str, *, allow_line_breaks: bool = False) -> str:
    """``text`` without its control characters (for outputs that must not fail)."""
    if first_control_character(text, allow_line_breaks=allow_line_breaks) is None:
        return text
    return "".join(c for c in text
                   if not is_control_character(c, allow_line_breaks=allow_line_breaks))


__all__ = [
    "LINE_BREAKS",
    "control_character_problem",
    "describe",
    "first_control_character",
    "is_control_character",
    "refuse_control_characters",
    "strip_control_characters",
]
