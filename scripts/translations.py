"""Keep the dashboard's message catalogues in step with the code.

Usage:
    python scripts/translations.py update    extract the texts, write messages.pot, add new
                                             texts to each language's messages.po (English
                                             filled in), drop vanished ones, list what still
                                             needs a translation
    python scripts/translations.py compile   build the messages.mo files the app reads
                                             (scripts/setup.sh runs this)
    python scripts/translations.py check     exit 1 while a catalogue lacks a text (the test
                                             suite checks the same)
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run from a checkout: its own webui, whatever the virtual environment has installed.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from webui import catalogues  # noqa: E402 - after the path is set


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else ""
    if command == "compile":
        for path in catalogues.compile_all():
            print(f"compiled {path.relative_to(catalogues.ROOT)}")
        return 0
    if command not in ("update", "check"):
        print(__doc__, file=sys.stderr)
        return 2
    template = catalogues.extract()
    if command == "update":
        catalogues.write(template, catalogues.TRANSLATIONS / "messages.pot")
        for language in catalogues.LANGUAGES:
            catalogues.write(catalogues.update(language, template),
                             catalogues.po_path(language))
    missing = 0
    for language in catalogues.LANGUAGES:
        lacking = catalogues.untranslated(language, template)
        missing += len(lacking)
        for text in lacking:
            print(f"{language}: not translated: {text}")
    print(f"{len(template)} texts; {missing} translation(s) missing")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
