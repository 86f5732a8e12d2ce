"""The dashboard's language: which one a request is in, and typed gettext functions.

A request is in the signed-in user's own choice (``User.language``, set on the Password
page), else the best match of the browser's ``Accept-Language`` among :data:`LANGUAGES`,
else English. So the sign-in page and the public check-in page follow the browser. The
command line and the logs stay in English: outside a request nothing is translated.

Python code marks its texts with :func:`_` (now), :func:`_l` (lazy: form labels and other
texts made at import time, translated when shown), :func:`N_` (a module constant, given to
:func:`_` when shown), :func:`ngettext` (a count) and :func:`pgettext` (a word that needs a
context); templates with ``_()``, ``ngettext()`` and
``{% trans %}``. Placeholders are named (``%(name)s``) so a translation may reorder them.
The catalogues are ``webui/translations/<language>/LC_MESSAGES/messages.po``
(``webui/catalogues.py`` extracts, updates and compiles them).
"""

from __future__ import annotations

from typing import Any, cast

import flask_babel
from flask import Flask, has_request_context, request
from flask_babel.speaklater import LazyString
from flask_login import current_user
from markupsafe import escape
from werkzeug.wrappers import Response

from .extensions import babel, login_manager

#: The languages the dashboard speaks, each named in itself (as a language menu should).
LANGUAGES: dict[str, str] = {"en": "English", "es": "Español"}
DEFAULT_LANGUAGE = "en"

#: What :func:`_l` returns: a string-like object translated each time it is shown.
LazyText = Any


class _EscapedLazyString(LazyString):  # type: ignore[misc]  # Flask-Babel is untyped
    """Flask-Babel's lazy string, escaped like any other text when a template shows it
    (theirs declares itself markup: an apostrophe or ``<`` in a label would go out raw)."""

    def __html__(self) -> str:
        return str(escape(str(self)))


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    babel.init_app(app, locale_selector=select_language)
    # Multi-line {% trans %} blocks become one line in the catalogue (as babel.cfg extracts).
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.context_processor(lambda: {"html_lang": current_language(), "languages": LANGUAGES})
    # Flask-Login flashes its message itself: translate it then, in the request's language.
    login_manager.localize_callback = _
    app.after_request(_vary_by_language)


def _vary_by_language(response: Response) -> Response:
    """Pages differ by the browser's language: no shared cache may mix them up."""
    response.vary.add("Accept-Language")
    return response


def select_language() -> str:
    """The language of the current request (see the module docstring)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    chosen = user_language()
    return chosen if chosen in LANGUAGES else browser_language()


def browser_language() -> str:
    """The best match of the request's ``Accept-Language`` among :data:`LANGUAGES`."""
    best = request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE)
    return best or DEFAULT_LANGUAGE


def user_language() -> str | None:
    """The signed-in user's own choice of language; None: follow the browser."""
    user = current_user
    if user is None or not user.is_authenticated:
        return None
    language: str | None = getattr(user, "language", None)
    return language


def current_language() -> str:
    """The language code of the current request ("en" outside one)."""
    locale = flask_babel.get_locale()
    return locale.language if locale is not None else DEFAULT_LANGUAGE


def _(message: str, **variables: Any) -> str:
    """``message`` in the request's language, with ``%(name)s`` placeholders filled."""
    return cast(str, flask_babel.gettext(message, **variables))


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """The singular or plural form for ``num`` (available as ``%(num)d``), translated."""
    return cast(str, flask_babel.ngettext(singular, plural, num, **variables))


def pgettext(context: str, message: str, **variables: Any) -> str:
    """``message`` translated in ``context`` (the same English word may need two words)."""
    return cast(str, flask_babel.pgettext(context, message, **variables))


def _lp(context: str, message: str) -> LazyText:
    """:func:`_l` with a context (a label whose English word has two meanings)."""
    return _EscapedLazyString(flask_babel.pgettext, context, message)


def npgettext(context: str, singular: str, plural: str, num: int, **variables: Any) -> str:
    """:func:`ngettext` with a context."""
    return cast(str, flask_babel.npgettext(context, singular, plural, num, **variables))


def _l(message: str, **variables: Any) -> LazyText:
    """``message`` translated when it is shown, not now (form labels, module constants)."""
    return _EscapedLazyString(flask_babel.gettext, message, **variables)


def N_(message: str) -> str:  # noqa: N802 - gettext's customary name
    """Mark ``message`` for the catalogue without translating it now: a module constant
    that is shown later through :func:`_` (and compared as plain English in tests)."""
    return message


def force_language(language: str) -> Any:
    """A context manager: texts made inside it are in ``language`` (e.g. a message about a
    language just chosen, shown in that language)."""
    return flask_babel.force_locale(language)


__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "N_", "LazyText", "_", "_l", "_lp",
           "browser_language", "current_language", "force_language", "init_app", "ngettext",
           "npgettext", "pgettext", "select_language", "user_language"]
