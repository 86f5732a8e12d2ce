"""The classroom benchmark's markdown report."""

from __future__ import annotations

import os
from collections.abc import Sequence

from .classroom import ClassroomResult
from .metrics import fnir_at_fpir
from .report import ms, pct, table, verdict

FPIR_TARGETS = (0.01, 0.001)


def classroom_markdown(
    result: ClassroomResult, *, command: str, date: str, weights_note: str,
    det_png: str | None,
) -> str:
    """The report: setup, attendance, faces, open-set identification, time, targets."""
    plan, enrol = result.plan, result.enrollment
    reasons: dict[str, int] = {}
    for reason, _ in enrol.rejected:
        reasons[reason] = reasons.get(reason, 0) + 1
    failed = ", ".join(enrol.failed[:10]) + (" ..." if len(enrol.failed) > 10 else "")
    refused = (" (refused: " + ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())) + ")"
               if reasons else "")
    roster = len(plan.courses[0].roster) if plan.courses else 0
    frames_per = len(plan.sessions[0].frames) if plan.sessions else 0
    lines = [
        "# Classroom benchmark",
        "",
        f"Command: `{command}`  ",
        f"Date: {date}; machine: {os.cpu_count()} CPU cores (shared with other work).",
        "",
        f"{len(plan.sessions)} session(s) of {len(plan.courses)} simulated course(s) (roster "
        f"{roster}, disjoint), {frames_per} frames of 1280x720 per session, seed {plan.seed}. "
        "People: LFW people of pairs.txt folds 1-5 (students: at least 4 photos, enrolled from "
        "1-3 of them; walk-ins: anyone else of those folds). Each attending student appears "
        "in 2 or more frames with photos not used for enrollment; faces 60-150 px high.",
        "",
        f"Models: {', '.join(f'{k} `{v}`' for k, v in result.versions.items())}. "
        f"Thresholds: {', '.join(f'{k} {v}' for k, v in result.thresholds.items())}; "
        f"min_sightings {result.min_sightings}.",
        "",
        weights_note,
        "",
        f"Enrollment (real service): {enrol.students} students enrolled, "
        f"{enrol.accepted}/{enrol.photos} photos accepted{refused}, "
        f"{len(enrol.failed)} students without any accepted photo (left off the roster"
        f"{': ' + failed if enrol.failed else ''}). The duplicate check flagged "
        f"{enrol.flagged_duplicates} accepted photo(s) as another, already enrolled student: "
        "false alarms (LFW names are distinct people), accepted with the operator's override "
        "so the rosters stay full.",
        "",
        "## Attendance",
        "",
        _attendance_table(result),
        "",
        "Recall: attending students marked present or late. False presence: a roster student "
        "who was absent ends present or late. Wrong person: a face identified as a student who "
        "is not the person shown (roster face / walk-in face / false detection). Misses "
        "split: detected in fewer than min_sightings frames / detected but identified too "
        "rarely.",
        "",
        *_false_presence_lines(result),
        "## Detector",
        "",
        _detector_table(result),
        "",
        f"False detections (a box matching no pasted face): {result.false_detections}.",
        "",
        "## Open-set identification (individual faces)",
        "",
        _open_set_table(result),
        "",
        "Every correctly detected face is searched against each course gallery: mated when "
        "the person is on that roster, non-mated otherwise. Scores are distance / threshold "
        "(combined: the larger of the two models', and no match when their top candidates "
        "differ). FNIR at FPIR = x: the share of mated searches missed at the loosest "
        "threshold accepting at most x of the non-mated ones.",
        "",
    ]
    if det_png:
        lines += [f"![DET curve]({det_png})", ""]
    lines += ["## Time", "", _time_table(result), "", "## Targets", "", *_targets(result)]
    return "\n".join(lines) + "\n"


def _attendance_table(result: ClassroomResult) -> str:
    rows = []
    for o in result.outcomes:
        c = o.counts
        rows.append([
            o.config.name, f"{c.recalled}/{c.attending}", pct(c.recall),
            f"{o.missed_undetected} / {o.missed_unidentified}",
            f"{c.false_presence}/{c.absent}", pct(c.false_presence_rate),
            f"{o.wrong_roster} / {o.wrong_walk_in} / {o.wrong_false_detection}",
        ])
    return table(["configuration", "recalled", "recall", "missed: undetected / unidentified",
                  "false presences", "false presence rate", "wrong person (faces)"], rows)


def _false_presence_lines(result: ClassroomResult) -> list[str]:
    lines: list[str] = []
    for o in result.outcomes:
        for session, name, producers in o.false_presences:
            lines.append(f"- {o.config.name}: session {session}, {name} marked present from "
                         f"faces of {producers or 'nobody (?)'}")
    return [*lines, ""] if lines else []


def _detector_table(result: ClassroomResult) -> str:
    rows = []
    for (low, high), (total, missed) in result.misses_by_size.items():
        label = f"{low}-{high} px" if high < 10_000 else f">= {low} px"
        rows.append([label, str(total), str(missed), pct(missed / total if total else
                                                          float("nan"))])
    total = result.truth_faces
    rows.append(["all", str(total), str(result.detector_misses),
                 pct(result.detector_misses / total if total else float("nan"))])
    return table(["face height", "pasted faces", "detector misses", "miss rate"], rows)


def _open_set_table(result: ClassroomResult) -> str:
    rows = []
    for name, (mated, non_mated) in result.scores.items():
        points = [fnir_at_fpir(mated, non_mated, t) for t in FPIR_TARGETS]
        cells = [name, str(len(mated)), str(len(non_mated))]
        for p in points:
            note = "" if p.resolvable else " (too few non-mated)"
            cells.append(f"{pct(p.fnir)} at score {p.threshold:.3f}{note}"
                         if p.threshold is not None else "n/a")
        fnir_op = float((~(mated <= 1.0)).mean()) if len(mated) else float("nan")
        fpir_op = float((non_mated <= 1.0).mean()) if len(non_mated) else float("nan")
        cells.append(f"{pct(fnir_op)} / {pct(fpir_op, 3)}")
        rows.append(cells)
    return table(["configuration", "mated", "non-mated", "FNIR @ FPIR 1%", "FNIR @ FPIR 0.1%",
                  "FNIR / FPIR at configured thresholds"], rows)


def _time_table(result: ClassroomResult) -> str:
    faces = sum(total for total, _ in result.misses_by_size.values()) - result.detector_misses
    faces += result.false_detections
    rows = [["detect", ms(result.seconds["detect"] / max(1, result.frames)) + " ms/frame"]]
    for name in result.versions:
        rows.append([f"embed {name}", ms(result.seconds[name] / max(1, faces)) + " ms/face"])
    for o in result.outcomes:
        rows.append([f"match+fuse ({o.config.name})",
                     ms(o.seconds_match / max(1, result.frames), 2) + " ms/frame"])
        rows.append([f"write sightings ({o.config.name})",
                     ms(o.seconds_write / max(1, result.frames)) + " ms/frame"])
    if result.enrollment.photos:
        rows.append(["enroll (end to end)",
                     f"{result.enrollment.seconds / result.enrollment.photos:.2f} s/photo"])
    return table(["stage", "mean"], rows)


def _targets(result: ClassroomResult) -> Sequence[str]:
    """Recall >= 99% with zero false presences, judged per configuration (the target names
    both models; each alone is judged too), with where the errors go when missed."""
    lines: list[str] = []
    if "both" not in {o.config.name for o in result.outcomes}:
        lines.append("- Both models combined: not measured (no in-house weights).")
    for o in sorted(result.outcomes, key=lambda o: o.config.name != "both"):
        c = o.counts
        ok = c.recall >= 0.99 and c.false_presence == 0
        lines.append(f"- Recall >= 99% with zero false presences, {o.config.name}: "
                     f"{verdict(ok)} - recall {pct(c.recall)}, {c.false_presence} false "
                     "presence(s).")
        if c.recall < 0.99:
            lines.append(
                f"  - Misses: {o.missed_undetected} attending student(s) detected in fewer "
                f"than {result.min_sightings} frames, {o.missed_unidentified} detected often "
                f"enough but identified in fewer ({o.unknown_roster} roster faces left "
                f"unknown, {o.wrong_roster} taken for another student).")
        if c.false_presence:
            lines.append(f"  - False presences: {c.false_presence}, from faces of the people "
                         "listed under Attendance.")
        if o.config.name in result.thresholds and o.config.name in result.scores:
            mated, non_mated = result.scores[o.config.name]
            point = fnir_at_fpir(mated, non_mated, 0.01)
            if point.threshold is not None and point.threshold != float("inf"):
                distance = point.threshold * result.thresholds[o.config.name]
                lines.append(
                    f"  - Calibration: with a distance threshold of {distance:.3f} for "
                    f"{o.config.name} (configured {result.thresholds[o.config.name]}), FPIR is "
                    f"{pct(point.fpir)} and FNIR {pct(point.fnir)} on these faces.")
    lines.append(f"- Detector misses overall: {result.detector_misses} of "
                 f"{result.truth_faces} pasted faces "
                 f"({pct(result.detector_misses / max(1, result.truth_faces))}).")
    return lines


__all__ = ["classroom_markdown"]
