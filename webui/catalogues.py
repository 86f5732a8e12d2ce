"""The message catalogues: extract the dashboard's texts, update the ``.po`` files, compile.

Maintainers run ``python scripts/translations.py update`` after changing a text (then
translate what it reports), ``scripts/setup.sh`` compiles the ``.mo`` files the app reads,
and ``tests/webui/test_translations.py`` fails while a text is missing from a catalogue.
The app itself never imports this module.

English has a catalogue of its own, filled with the English texts: a wording can then be
changed without touching the code, and "every catalogue is complete" is one rule.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
MAPPING = ROOT / "babel.cfg"
DOMAIN = "messages"
#: The languages with a catalogue (``webui.i18n.LANGUAGES``), English first.
LANGUAGES = ("en", "es")
#: The domain's texts (``attendance.messages``): a ``Message`` and each domain error take
#: their English template first (``PhotoRejected`` second, after its code).
DOMAIN_KEYWORDS = {
    "Message": None, "AttendanceError": None, "NotFound": None, "Conflict": None,
    "InvalidInput": None, "WrongPassword": None, "PermissionDenied": None,
    "AlreadyEnrolled": None, "CameraInUse": None, "PhotoRejected": (2,),
}
#: The packages whose texts are extracted (``babel.cfg`` says which files).
PACKAGES = ("webui", "attendance", "enrollment")
#: gettext's functions plus ours: ``_l`` and ``_lp`` (lazy, the latter with a context) and
#: ``N_`` (marked only), and the domain's.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "_lp": ((1, "c"), 2), "N_": None,
            **DOMAIN_KEYWORDS}
#: Fixed so that extracting twice gives the same file (the date says nothing useful).
_CREATED = datetime(2026, 11, 27, tzinfo=UTC)


def _new_catalog(language: str | None = None) -> Catalog:
    return Catalog(locale=language, domain=DOMAIN, project="classroom-attendance",
                   version="0.1", copyright_holder="classroom-attendance",
                   creation_date=_CREATED, revision_date=_CREATED, fuzzy=False)


def extract() -> Catalog:
    """Every text of the dashboard marked for translation, the domain's messages included,
    as a template (no translations)."""
    with MAPPING.open(encoding="utf-8") as fh:
        # Babel's own function, untyped there.
        method_map, options_map = parse_mapping_cfg(fh, str(MAPPING))  # type: ignore[no-untyped-call]
    template = _new_catalog()
    found = extract_from_dir(str(ROOT), method_map, options_map, keywords=KEYWORDS,
                             comment_tags=("Translators:",), strip_comment_tags=True,
                             directory_filter=_only_packages)
    for filename, lineno, message, comments, context in found:
        template.add(message, None, [(filename, lineno)], auto_comments=comments,
                     context=context)
    return template


def _only_packages(dirpath: str) -> bool:
    relative = Path(dirpath).resolve().relative_to(ROOT).parts
    return not relative or relative[0] in PACKAGES


def po_path(language: str) -> Path:
    return TRANSLATIONS / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def load(language: str) -> Catalog:
    """The committed catalogue of ``language``."""
    with po_path(language).open("rb") as fh:
        return read_po(fh, locale=language, domain=DOMAIN)


def update(language: str, template: Catalog) -> Catalog:
    """The catalogue of ``language`` brought in line with ``template``: new texts added
    untranslated (English: filled with themselves), vanished ones dropped."""
    catalog = load(language) if po_path(language).exists() else _new_catalog(language)
    # A copy: update() takes the template's message objects, which filling English would
    # change for every other language too.
    catalog.update(copy.deepcopy(template), no_fuzzy_matching=True,
                   update_creation_date=False)
    catalog.obsolete.clear()
    if language == "en":
        for message in catalog:
            if message.id and not translated(message):
                message.string = message.id
    return catalog


def write(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100, include_lineno=False, ignore_obsolete=True)


def translated(message: Message) -> bool:
    """True when every form of ``message`` has a translation and none is marked fuzzy."""
    strings = message.string if isinstance(message.string, (tuple, list)) else [message.string]
    return not message.fuzzy and all(strings)


def untranslated(language: str, template: Catalog) -> list[str]:
    """The texts of ``template`` that the catalogue of ``language`` lacks or leaves
    untranslated (or fuzzy), as ``context|msgid``."""
    catalog = load(language)
    lacking = []
    for message in _messages(template):
        found = catalog.get(message.id, message.context)
        if found is None or not translated(found):
            lacking.append(_label(message))
    return lacking


def stale(language: str, template: Catalog) -> list[str]:
    """Texts in the catalogue of ``language`` that the code no longer has."""
    return [_label(m) for m in _messages(load(language))
            if template.get(m.id, m.context) is None]


def _messages(catalog: Catalog) -> Iterator[Message]:
    return (m for m in catalog if m.id)


def _label(message: Message) -> str:
    text = message.id if isinstance(message.id, str) else message.id[0]
    return f"{message.context}|{text}" if message.context else text


def compile_all() -> list[Path]:
    """Write ``messages.mo`` next to each language's ``messages.po`` (fuzzy texts left out,
    as gettext would); the paths written."""
    written = []
    for language in LANGUAGES:
        catalog = load(language)
        target = po_path(language).with_suffix(".mo")
        with target.open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)
        written.append(target)
    return written


def compile_if_stale() -> list[Path]:
    """:func:`compile_all` when a ``.mo`` file is missing or older than its ``.po`` (a
    checkout where ``scripts/setup.sh`` has not run since the catalogues changed)."""
    for language in LANGUAGES:
        source = po_path(language)
        target = source.with_suffix(".mo")
        if not target.exists() or target.stat().st_mtime < source.stat().st_mtime:
            return compile_all()
    return []


__all__ = ["DOMAIN_KEYWORDS", "KEYWORDS", "LANGUAGES", "PACKAGES", "TRANSLATIONS", "compile_all",
           "compile_if_stale", "extract", "load", "po_path", "stale", "translated", "untranslated",
           "update", "write"]
