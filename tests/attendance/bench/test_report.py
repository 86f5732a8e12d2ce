"""Report helpers: sections of docs/benchmarks.md are replaced independently."""

from __future__ import annotations

from pathlib import Path

from attendance.bench.report import demote, pct, table, update_docs


def test_sections_are_replaced_without_touching_the_other(tmp_path: Path) -> None:
    docs = tmp_path / "docs" / "benchmarks.md"
    update_docs(docs, "speed", "## Speed\nfirst speed")
    update_docs(docs, "classroom", "## Classroom\nfirst classroom")
    update_docs(docs, "speed", "## Speed\nsecond speed")
    text = docs.read_text()
    assert "first classroom" in text
    assert "second speed" in text
    assert "first speed" not in text
    assert text.index("bench:classroom") < text.index("bench:speed")
    assert text.startswith("# Benchmarks")


def test_formatting_helpers() -> None:
    assert pct(0.99123) == "99.12%"
    assert pct(float("nan")) == "n/a"
    assert table(["a", "b"], [["1", "2"]]) == "| a | b |\n|---|---|\n| 1 | 2 |"
    assert demote("# T\n## U\ntext #1") == "## T\n### U\ntext #1"
