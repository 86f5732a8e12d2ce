"""The system never infers emotion, attention, age, gender or ethnicity (EU AI Act Art. 5(1)(f)
forbids emotion recognition in education; the rest is out of our purpose): this test fails as
soon as code for it, or a library that does it, appears anywhere in the repository.

Python files are read token by token (names, imports and strings; comments are skipped),
templates and scripts as text, ``pyproject.toml`` for dependencies. The allow-list is tiny:
this file, the docs, and exact lines that state the rule to the user.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SKIP_DIRS = {".git", ".venv", "node_modules", "docs", "test-artifacts", "__pycache__",
             "build", "dist"}
THIS_FILE = Path(__file__).resolve()
#: (path relative to the root, exact stripped line) that may name the forbidden inferences.
ALLOWED_LINES = {
    ("webui/templates/privacy/index.html",
     "<p>{{ _('The system never infers emotion, attention, age, gender or ethnicity.') }}</p>"),
}

#: Libraries whose purpose (or default pipeline) is emotion, age, gender or race estimation.
BANNED_LIBRARIES = {"deepface", "fer", "hsemotion", "feat", "py-feat", "emotiefflib", "rmn",
                    "emotion_recognition", "facial_emotion_recognition", "paz"}
#: Forbidden ideas, in identifiers and texts (case-insensitive).
_WORDS = (r"emotion|facial[_ ]?expression|attention[_ ]?(score|level|span)|attentive|"
          r"engagement[_ ]?score|drowsi|age[_ ]?(estimat|predict|group|range|bracket)|"
          r"(estimate|predict|apparent)(ed)?[_ ]?age\b|gender|ethnic|skin[_ ]?tone|"
          r"race[_ ]?(classif|label|predict|estimat)|predict(ed)?[_ ]race")
FORBIDDEN_TEXT = re.compile(_WORDS, re.IGNORECASE)
#: In an identifier, "race" also counts as one ``_``-separated part (``race``, ``face_race``).
FORBIDDEN_NAME = re.compile(rf"{_WORDS}|(^|_)races?(?!_conditions?)(_|$)", re.IGNORECASE)


def python_findings(source: str) -> list[tuple[int, str]]:
    """(line, token) of forbidden names, strings and imports in Python ``source``."""
    found: list[tuple[int, str]] = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.NAME and FORBIDDEN_NAME.search(token.string) or (
                token.type == tokenize.STRING and FORBIDDEN_TEXT.search(token.string)):
            found.append((token.start[0], token.string))
    for node in ast.walk(ast.parse(source)):
        modules = ([a.name for a in node.names] if isinstance(node, ast.Import)
                   else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
        found += [(node.lineno, m) for m in modules if m.split(".")[0] in BANNED_LIBRARIES]
    return found


def text_findings(text: str) -> list[tuple[int, str]]:
    """(line, line text) of lines of a template or script naming a forbidden inference."""
    return [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1)
            if FORBIDDEN_TEXT.search(line) or re.search(r"\b(deepface|hsemotion)\b", line, re.I)]


def dependency_findings(pyproject: dict[str, object]) -> list[str]:
    """Banned libraries among the dependencies and extras of a parsed ``pyproject.toml``."""
    project = pyproject.get("project", {})
    assert isinstance(project, dict)
    specs = list(project.get("dependencies", []))
    for extra in dict(project.get("optional-dependencies", {})).values():
        specs += list(extra)
    names = [re.split(r"[\s\[<>=!~;@]", str(spec), maxsplit=1)[0].lower() for spec in specs]
    return [n for n in names if n in BANNED_LIBRARIES or n.replace("-", "_") in BANNED_LIBRARIES]


def _files(*suffixes: str) -> list[Path]:
    return sorted(p for p in ROOT.rglob("*") if p.suffix in suffixes and p.is_file()
                  and not SKIP_DIRS.intersection(p.relative_to(ROOT).parts)
                  and p.resolve() != THIS_FILE)


def _allowed(path: Path, findings: list[tuple[int, str]]) -> list[str]:
    relative = path.relative_to(ROOT).as_posix()
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return [f"{relative}:{line}: {what}" for line, what in findings
            if (relative, lines[line - 1].strip()) not in ALLOWED_LINES]


def test_the_scanner_catches_what_it_is_meant_to() -> None:
    code = ("from deepface import DeepFace\nimport fer.classes\n"
            "def estimate_age(face): ...\nresult['dominant_emotion']\nface_race = 1\n"
            "x.predict_gender()\n# emotion in a comment is fine\ntrace = race_condition = 0\n")
    assert [line for line, _ in python_findings(code)] == [3, 4, 5, 6, 1, 2]
    assert text_findings("ok\n<td>{{ r.attention_score }}</td>\n<p>A race condition</p>") == [
        (2, "<td>{{ r.attention_score }}</td>")]
    assert dependency_findings({"project": {"dependencies": ["numpy>=1", "DeepFace==0.0.9"],
                                            "optional-dependencies": {"x": ["py-feat"]}}}) == [
        "deepface", "py-feat"]


def test_no_python_code_infers_emotion_attention_age_gender_or_ethnicity() -> None:
    sources = _files(".py")
    assert len(sources) > 50  # the scan really covers the packages
    problems = [p for path in sources
                for p in _allowed(path, python_findings(path.read_text(encoding="utf-8")))]
    assert problems == []


def test_no_template_or_script_infers_them() -> None:
    templates = _files(".html", ".js", ".jinja", ".j2")
    assert any(p.name == "base.html" for p in templates)
    problems = [p for path in templates
                for p in _allowed(path, text_findings(path.read_text(encoding="utf-8")))]
    assert problems == []


@pytest.mark.parametrize("name", ["pyproject.toml"])
def test_no_dependency_infers_them(name: str) -> None:
    with (ROOT / name).open("rb") as fh:
        assert dependency_findings(tomllib.load(fh)) == []
