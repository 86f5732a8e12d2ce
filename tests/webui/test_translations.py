"""Every text a person reads in the dashboard is translatable, and every catalogue has it.

Two halves, both run by the README's test command:

* **Completeness**: Babel's extractor reads the sources as ``scripts/translations.py
  update`` does (``babel.cfg``); every text it finds must be translated (every plural form,
  nothing fuzzy) in the committed Spanish *and* English catalogues, with the same
  placeholders, and the catalogues hold nothing the code no longer says.
* **Nothing unmarked**: extraction only sees marked texts, so the templates and the Python
  views are also read for human text that skipped ``_()``. Templates are tokenised with
  Jinja's own lexer: text between tags (outside ``{% trans %}``) and the attributes people
  read (``alt``, ``title``, ``aria-label``, ``placeholder``) must hold no words, and string
  literals in expressions must not look like prose unless ``_()`` & co. receive them.
  Python files are parsed: ``flash()``, WTForms fields (label, description), validators'
  ``message=`` and ``abort(description=)`` must not get a literal, and no other string
  literal may look like prose (docstrings and log messages aside: those stay English).
  Scripts in ``webui/static`` hold no prose at all: their pages hand them their words.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from jinja2 import Environment

from webui import catalogues

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "webui" / "templates"
WEBUI = ROOT / "webui"
#: Functions whose string arguments are texts for the catalogue.
GETTEXT = {"_", "gettext", "ngettext", "pgettext", "npgettext", "_l", "_lp", "N_",
           "lazy_gettext"}
#: Attributes whose values people read (or hear from a screen reader).
READ_ATTRIBUTES = {"alt", "title", "aria-label", "placeholder", "label", "summary"}
#: Elements whose content is code, not prose.
CODE_ELEMENTS = {"code", "script", "style", "pre", "kbd", "samp"}
#: Text between tags that is no word of any language: a unit, an abbreviation kept as is.
TEMPLATE_TEXT_ALLOWED = {"v", "UTC", "CSV", "XLSX", "dlib"}
#: String literals in Python that look like prose but are not shown to people (reason).
PYTHON_ALLOWED = {
    "Lax",  # a cookie attribute value
    "Date",  # SVG metadata key matplotlib writes
    "English",  # the language menu names each language in itself
    "dd MMM", "Hms",  # CLDR date and time patterns
    "img-src 'self' data: blob:",  # Content-Security-Policy
    "sighting {} thumbnail",  # the name of a photo file given to enrollment
}
#: Python modules outside the check: the command line and start-up checks stay English.
PYTHON_EXEMPT = {"catalogues.py", "cli.py", "production.py"}
_WORD = re.compile(r"^[^\W\d_][^\W\d_'’]*[.,:;!?)]*$")
_LETTER = re.compile(r"[^\W\d_]")


def looks_like_prose(text: str) -> bool:
    """Two or more plain words ("Sign in", "not recorded"), or one capitalised word
    ("Camera"): what a person reads, unlike an endpoint, a CSS class or a format."""
    words = text.split()
    plain = [w for w in words if _WORD.match(w)]
    if len(plain) >= 2 and len(plain) * 2 >= len(words):
        return True
    return len(words) == 1 and bool(re.fullmatch(r"[A-Z][a-z]{2,}[.:!?]?", words[0]))


# ---------------------------------------------------------------- completeness


@pytest.fixture(scope="module")
def template() -> Catalog:
    return catalogues.extract()


def test_extraction_finds_the_dashboards_texts(template: Catalog) -> None:
    ids = {m.id for m in template if m.id}
    assert "Sign in" in ids
    assert "Check in to your class" in ids
    assert ("%(num)d student(s)", "%(num)d student(s)") in ids  # a plural
    assert len(ids) > 300


@pytest.mark.parametrize("language", catalogues.LANGUAGES)
def test_every_text_is_translated(template: Catalog, language: str) -> None:
    lacking = catalogues.untranslated(language, template)
    assert lacking == [], (f"{len(lacking)} text(s) missing from the {language} catalogue: "
                           "run python scripts/translations.py update, then translate them")


@pytest.mark.parametrize("language", catalogues.LANGUAGES)
def test_no_catalogue_keeps_texts_the_code_dropped(template: Catalog, language: str) -> None:
    assert catalogues.stale(language, template) == []


@pytest.mark.parametrize("language", catalogues.LANGUAGES)
def test_translations_keep_the_placeholders(language: str) -> None:
    """Babel's checkers: the same ``%(name)s`` placeholders in every form."""
    catalog = catalogues.load(language)
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check()]
    assert problems == []


def test_spanish_uses_the_agreed_words() -> None:
    """A few words the issue asks for (Latin American usage), where they belong."""
    spanish = catalogues.load("es")

    def text(msgid: str, context: str | None = None) -> str:
        message = spanish.get(msgid, context)
        assert message is not None, msgid
        return message.string[0] if isinstance(message.string, tuple) else message.string

    assert text("present", "attendance status") == "presente"
    assert text("late", "attendance status") == "tarde"
    assert text("absent", "attendance status") == "ausente"
    assert text("excused", "attendance status") == "justificado"
    assert text("Students") == "Estudiantes"
    assert text("Courses") == "Cursos"
    assert text("Session") == "Sesión"
    assert text("Attendance") == "Asistencia"


# ---------------------------------------------------------------- nothing unmarked


def test_the_prose_detector() -> None:
    assert looks_like_prose("not recorded")
    assert looks_like_prose("Camera")
    assert looks_like_prose("Sign in.")
    assert looks_like_prose("Counted for X: 3 sighting(s).")
    for code in ("sessions.show", "time_seconds", "%H:%M", "mark mark-present", "utf-8",
                 "attachment; filename=", "a", "GET", "image/svg+xml", "present"):
        assert not looks_like_prose(code), code


class _ReadText(HTMLParser):
    """Collects (line, text) a person reads from HTML with the expressions blanked out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._code_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in CODE_ELEMENTS:
            self._code_depth += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self._keep(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in CODE_ELEMENTS and self._code_depth:
            self._code_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self._code_depth:
            self._keep(data)

    def _keep(self, text: str) -> None:
        words = [w for w in text.split() if _LETTER.search(w)]
        words = [w for w in words if w.strip(".,:;()") not in TEMPLATE_TEXT_ALLOWED]
        if any(_WORD.match(w.strip("()")) for w in words):  # not just a fragment of markup
            self.found.append((self.getpos()[0], " ".join(words)))


def _blank(value: str) -> str:
    """A space in place of ``value``, keeping its line breaks (so lines still match)."""
    return " " + "\n" * value.count("\n")


def template_findings(source: str, env: Environment) -> list[tuple[int, str]]:
    """(line, text) of human text in a template that no translation function receives."""
    html: list[str] = []
    found: list[tuple[int, str]] = []
    tokens = list(env.lex(source))
    in_trans = False
    calls: list[bool] = []  # open parentheses: True where a gettext function was called
    previous_name = ""
    tag_words: list[str] = []
    for lineno, kind, value in tokens:
        if kind == "data":
            html.append(_blank(value) if in_trans else value)
            continue
        html.append(_blank(value))  # expressions and tags: no text
        if kind == "block_begin":
            tag_words = []
        elif kind == "name" and not tag_words:
            tag_words.append(value)
            if value in ("trans", "pluralize"):
                in_trans = True
            elif value == "endtrans":
                in_trans = False
        if kind == "operator" and value in "([{":
            calls.append(value == "(" and previous_name in GETTEXT)
        elif kind == "operator" and value in ")]}" and calls:
            calls.pop()
        elif kind == "string" and not (calls and calls[-1]):
            text = ast.literal_eval(value)
            if looks_like_prose(text):
                found.append((lineno, text))
        if kind == "name":
            previous_name = value
        elif kind != "whitespace":
            previous_name = ""
    reader = _ReadText()
    reader.feed("".join(html))
    reader.close()
    return found + reader.found


def _templates() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.html"))


@pytest.fixture(scope="module")
def jinja_env() -> Environment:
    from tests.conftest import make_settings  # noqa: PLC0415
    from webui import create_app  # noqa: PLC0415 - only for its configured environment

    return create_app(make_settings(Path("/nonexistent"))).jinja_env


def test_the_template_check_catches_unmarked_text(jinja_env: Environment) -> None:
    source = ('<h1>{{ _("Fine") }}</h1>\n<p>Not marked</p>\n'
              '<img alt="A face" src="{{ url }}">\n'
              "{{ 'not recorded' if x else _('ok') }}\n"
              '{% trans n=1 %}Marked {{ n }}{% endtrans %}\n<code>keep_photos</code> v2')
    assert template_findings(source, jinja_env) == [
        (4, "not recorded"), (2, "Not marked"), (3, "A face")]


@pytest.mark.parametrize("path", _templates(), ids=lambda p: p.relative_to(TEMPLATES).as_posix())
def test_no_template_text_is_unmarked(path: Path, jinja_env: Environment) -> None:
    assert template_findings(path.read_text(encoding="utf-8"), jinja_env) == []


# Python


#: Calls whose first argument is shown to people.
_SHOWN_FIRST = {"flash", "ValidationError"}
#: Keyword arguments that are shown to people.
_SHOWN_KEYWORDS = {"label", "description", "message"}
#: Calls whose arguments are never shown (log messages stay English; paths, names, …).
_NOT_SHOWN = {"debug", "info", "warning", "error", "exception", "critical", "log",
              "render_template", "url_for", "redirect", "getenv", "get", "startswith",
              "record_audit", "Blueprint", "route", "post", "add_url_rule",
              "strftime", "getLogger", "compile", "fullmatch", "match"}


def _literal_text(node: ast.AST) -> str | None:
    """The text of a string literal, an f-string or a sum of them; None otherwise."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal_text(node.left), _literal_text(node.right)
        if left is not None or right is not None:
            return (left or "") + (right or "")
    return None


def _call_name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else (
        func.attr if isinstance(func, ast.Attribute) else "")


def python_findings(source: str) -> list[tuple[int, str]]:
    """(line, text) of literals shown to people without a translation function."""
    tree = ast.parse(source)
    found: list[tuple[int, str]] = []
    exempt: set[int] = set()  # ids of string nodes that are fine where they are
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and \
                isinstance(body[0].value, ast.Constant):
            exempt.add(id(body[0].value))  # a docstring
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            exempt.update(id(n) for n in ast.walk(node.value))  # names, not texts
        if not isinstance(node, ast.Call):
            continue
        name = _call_name(node)
        arguments = [*node.args, *(k.value for k in node.keywords)]
        if name in GETTEXT or name in _NOT_SHOWN:
            exempt.update(id(n) for a in arguments for n in ast.walk(a))
            continue
        shown = [node.args[0]] if name in _SHOWN_FIRST and node.args else []
        if name.endswith("Field") and node.args:
            shown.append(node.args[0])
        shown += [k.value for k in node.keywords if k.arg in _SHOWN_KEYWORDS]
        if name == "abort":
            shown += [k.value for k in node.keywords if k.arg == "description"]
        for argument in shown:
            text = _literal_text(argument)
            if text is not None and _LETTER.search(text):
                found.append((argument.lineno, text))
                exempt.update(id(n) for n in ast.walk(argument))
    for node in ast.walk(tree):
        if id(node) in exempt:
            continue
        if isinstance(node, ast.JoinedStr):
            exempt.update(id(v) for v in node.values)
        text = _literal_text(node) if isinstance(node, (ast.Constant, ast.JoinedStr)) else None
        if text and looks_like_prose(text) and text not in PYTHON_ALLOWED:
            found.append((node.lineno, text))
    return sorted(set(found))


def _python_files() -> Iterator[Path]:
    for path in sorted(WEBUI.rglob("*.py")):
        if path.name not in PYTHON_EXEMPT:
            yield path


def test_the_python_check_catches_unmarked_text() -> None:
    source = '''
"""Docstring: fine."""
logger.info("English in the logs is fine")
flash("Not marked", "error")
flash(_("Marked"), "error")
name = StringField("Name", description=_l("Marked too"))
CONSTANT = "A sentence that nobody marked."
MARKED = N_("A sentence for later.")
flash(f"{count} student(s) added.", "success")
'''
    assert python_findings(source) == [
        (4, "Not marked"), (6, "Name"), (7, "A sentence that nobody marked."),
        (9, "{} student(s) added.")]


@pytest.mark.parametrize("path", list(_python_files()),
                         ids=lambda p: p.relative_to(WEBUI).as_posix())
def test_no_python_text_is_unmarked(path: Path) -> None:
    assert python_findings(path.read_text(encoding="utf-8")) == []


# Scripts

#: Script strings that look like prose but are never shown (reason).
SCRIPT_ALLOWED = {
    "use strict",  # the directive
    "not live data",  # an error thrown and caught inside live.js, never shown
    "Accept",  # an HTTP header
}


@pytest.mark.parametrize("path", sorted((WEBUI / "static").glob("*.js")),
                         ids=lambda p: p.name)
def test_scripts_have_no_words_of_their_own(path: Path) -> None:
    """A script shows only texts its page gives it (``data-*-text-*`` attributes, written
    in the page's language), so no string literal of a script may look like prose."""
    code = re.sub(r"/\*.*?\*/|//[^\n]*", "", path.read_text(encoding="utf-8"), flags=re.S)
    strings = re.findall(r'"((?:[^"\\]|\\.)*)"|\'((?:[^\'\\]|\\.)*)\'', code)
    prose = [s for pair in strings for s in pair if looks_like_prose(s)]
    assert [s for s in prose if s not in SCRIPT_ALLOWED] == []
