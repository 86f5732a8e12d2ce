"""Parts of the classroom report computed from constructed outcomes."""

from __future__ import annotations

from attendance.bench.classroom_report import rule_difference_lines, thresholds_at
from attendance.bench.record import CONFIGURATIONS, ConfigOutcome


def _outcome(name: str, missed: list[tuple[int, str]], tracking: bool = False) -> ConfigOutcome:
    config = next(c for c in CONFIGURATIONS if c.name == name)
    return ConfigOutcome(config, tracking, missed=missed)


def test_students_one_rule_recalls_and_the_other_misses() -> None:
    outcomes = [
        _outcome("dlib", [(0, "Kate"), (3, "Ana")]),
        _outcome("fused", [(1, "Juan"), (2, "Juan"), (3, "Ana"), (4, "Luis")]),
        _outcome("fused", [], tracking=True),  # the tracker runs are not compared
    ]
    lines = rule_difference_lines(outcomes)
    assert lines[0] == "### fused and dlib, student by student"
    assert "- recalled by fused, missed by dlib: 1: Kate" in lines
    # Ana is missed by both in session 3: no difference. Juan twice comes first.
    assert "- recalled by dlib, missed by fused: 3: Juan (2 sessions), Luis" in lines


def test_no_comparison_without_both_rules() -> None:
    assert rule_difference_lines([_outcome("dlib", [(0, "Kate")])]) == []


def test_calibration_thresholds_of_each_kind_of_rule() -> None:
    thresholds = {"dlib": 0.55, "fused": -3.9, "fused_score": -3.9}
    config = {c.name: c for c in CONFIGURATIONS}
    assert thresholds_at(thresholds, config["dlib"], 0.9) == (
        "a distance threshold of 0.495 for dlib (configured 0.55)")
    # The fused score is shifted, not scaled; the fused rule also scales dlib's threshold.
    assert thresholds_at(thresholds, config["fused_score"], 0.5) == (
        "a fused distance threshold of -4.400 for fused_score (configured -3.9)")
    assert thresholds_at(thresholds, config["fused"], 0.5) == (
        "a fused distance threshold of -4.400 for fused (configured -3.9) and dlib's at 0.275 "
        "(configured 0.55)")
    assert thresholds_at(thresholds, config["fused"], -0.1).endswith(
        "and dlib's own acceptance off (configured 0.55; no distance is below 0)")
