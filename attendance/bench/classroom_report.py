"""The classroom benchmark's markdown report."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping, Sequence

from ..config import FUSED_RULES
from .classroom import SIZE_BUCKETS, ClassroomResult
from .metrics import fnir_at_fpir
from .record import ConfigOutcome, Configuration
from .report import ms, pct, table, verdict

FPIR_TARGETS = (0.01, 0.001)


ROOM_SEATS = (
    "everyone keeps one seat for the session (rows of 8, back-row faces 30-60 px high, "
    "front row 115-150 px) and moves a few per cent of their face's height between frames, "
    "shows the same photo until they turn (a new one with probability 0.3 a frame), and every "
    "other walk-in sits in the seat of a student right after that student was there.")


def classroom_markdown(
    result: ClassroomResult, *, command: str, date: str, weights_note: str,
    det_png: str | None, load: str = "n/a",
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
    width, height = result.frame_size
    lines = [
        f"# Classroom benchmark{', seated room' if plan.room == 'seats' else ''}",
        "",
        f"Command: `{command}`  ",
        f"Date: {date}; machine: {os.cpu_count()} CPU cores (shared with other work: load "
        f"average {load}).",
        "",
        f"{len(plan.sessions)} session(s) of {len(plan.courses)} simulated course(s) (roster "
        f"{roster}, disjoint), {frames_per} frames of {width}x{height} per session, seed "
        f"{plan.seed}. People: LFW people of pairs.txt folds 1-5 (students: at least 4 "
        "photos, enrolled from 1-3 of them; walk-ins: anyone else of those folds). Each "
        "attending student appears in 2 or more frames with photos not used for enrollment; "
        + (ROOM_SEATS if plan.room == "seats" else "faces 60-150 px high, seated anew in "
           "every frame."),
        "",
        f"Models: {', '.join(f'{k} `{v}`' for k, v in result.versions.items())}. "
        f"Thresholds: {', '.join(f'{k} {v}' for k, v in result.thresholds.items())}"
        f"{_margin(result)}; min_sightings {result.min_sightings}.",
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
        *rule_difference_lines(result.outcomes),
        "## The face tracker, off and on",
        "",
        *_tracker_lines(result),
        "## Detector",
        "",
        _detector_table(result),
        "",
        f"False detections (a box matching no pasted face): {result.false_detections}.",
        "",
        *_sweep_lines(result),
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
            o.label, f"{c.recalled}/{c.attending}", pct(c.recall),
            f"{o.missed_undetected} / {o.missed_unidentified}",
            f"{c.false_presence}/{c.absent}", pct(c.false_presence_rate),
            f"{o.wrong_roster} / {o.wrong_walk_in} / {o.wrong_false_detection}",
            f"{o.embedded} / {o.inherited}", str(o.wrong_inherited),
        ])
    return table(["configuration", "recalled", "recall", "missed: undetected / unidentified",
                  "false presences", "false presence rate", "wrong person (faces)",
                  "faces embedded / inherited", "wrong person, inherited"], rows)


def _false_presence_lines(result: ClassroomResult) -> list[str]:
    lines: list[str] = []
    for o in result.outcomes:
        for session, name, producers in o.false_presences:
            lines.append(f"- {o.label}: session {session}, {name} marked present from "
                         f"faces of {producers or 'nobody (?)'}")
    return [*lines, ""] if lines else []


def rule_difference_lines(
    outcomes: Sequence[ConfigOutcome], rule: str = "fused", baseline: str = "dlib"
) -> list[str]:
    """The attending students ``rule`` recalls and ``baseline`` misses, and the other way
    round, session by session (tracker off); nothing when either did not run."""
    by_name = {o.config.name: o for o in outcomes if not o.tracking}
    if rule not in by_name or baseline not in by_name:
        return []
    missed = {name: set(by_name[name].missed) for name in (rule, baseline)}

    def line(recalled_by: str, missed_by: str) -> str:
        entries = missed[missed_by] - missed[recalled_by]
        counts = Counter(name for _, name in entries)
        names = ", ".join(f"{n} ({c} sessions)" if c > 1 else n
                          for n, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        return (f"- recalled by {recalled_by}, missed by {missed_by}: {len(entries)}"
                + (f": {names}" if names else ""))

    return [
        f"### {rule} and {baseline}, student by student",
        "",
        line(rule, baseline),
        line(baseline, rule),
        "",
        "One entry per session and student. A student named for several sessions is missed "
        "again and again: an error that clings to the person, not to one frame.",
        "",
    ]


def _pairs(result: ClassroomResult) -> list[tuple[ConfigOutcome, ConfigOutcome]]:
    """(tracker off, tracker on) outcomes of each configuration."""
    off = {o.config.name: o for o in result.outcomes if not o.tracking}
    return [(off[o.config.name], o) for o in result.outcomes
            if o.tracking and o.config.name in off]


def _tracker_lines(result: ClassroomResult) -> list[str]:
    rows = []
    for off, on in _pairs(result):
        faces = on.embedded + on.inherited
        rows.append([
            off.config.name, f"{pct(off.counts.recall)} / {pct(on.counts.recall)}",
            f"{off.counts.false_presence} / {on.counts.false_presence}",
            f"{_wrong(off)} / {_wrong(on)}", str(on.wrong_inherited),
            f"{on.embedded}/{faces} ({pct(on.embedded / faces if faces else float('nan'), 1)})",
            f"{on.inherited_with_provenance}/{on.inherited}",
        ])
    if not rows:
        return []
    return [
        table(["configuration", "recall off / on", "false presences off / on",
               "wrong-person sightings off / on", "of them inherited",
               "faces embedded with the tracker", "inherited sightings stored with their "
               "frame and box"], rows),
        "",
        "With the tracker (`track_faces`, as the worker runs it) a face confidently identified "
        "by full embeddings in two frames in a row and still in its place inherits that "
        "identity; it is embedded again every `track_reverify_frames` frames. Wrong-person "
        "sightings: faces stored as a student who is not the person shown (roster faces, "
        "walk-ins and false detections together). Embeddings were computed once for every "
        "face; a face that inherited would not have been embedded by the worker.",
        "",
    ]


def _margin(result: ClassroomResult) -> str:
    """The fused rules' margin over the runner-up, when they ran with one."""
    if not result.fused_margin:
        return ""
    return f"; fused margin over the runner-up {result.fused_margin:g}"


def _wrong(o: ConfigOutcome) -> int:
    return o.wrong_roster + o.wrong_walk_in + o.wrong_false_detection


def _sweep_lines(result: ClassroomResult) -> list[str]:
    trials = result.detector_trials
    if not trials:
        return []
    buckets = [b for b in SIZE_BUCKETS if any(t.misses_by_size.get(b, (0, 0))[0]
                                             for t in trials)]
    frames = max(1, result.frames)
    rows = []
    for t in trials:
        mark = " (configured)" if (t.max_side, t.band) == result.detector_setting else ""
        rows.append([f"{t.max_side}{mark}", f"{t.band:.0%}", f"{1e3 * t.seconds / frames:.0f}",
                     *(f"{t.misses_by_size[b][1]}/{t.misses_by_size[b][0]}" for b in buckets),
                     str(t.misses), str(t.false_detections)])
    clean = [t for t in trials if t.misses == min(x.misses for x in trials)]
    best = min(clean, key=lambda t: t.seconds)
    return [
        "### Detector settings",
        "",
        table(["frames downscaled above px", "upsampled band (top)", "ms/frame",
               *(_bucket_label(b) + " missed" for b in buckets), "misses",
               "false detections"], rows),
        "",
        f"Every setting ran on the same {result.frames} frames (HOG; the band is "
        "`detection_upsample_band`, the share of the frame from its top scanned at twice its "
        "size, the rest at its own size). Fewest misses at the lowest cost: frames "
        f"downscaled above {best.max_side} px, top {best.band:.0%} upsampled "
        f"({1e3 * best.seconds / frames:.0f} ms/frame, {best.misses} misses).",
        "",
    ]


def _bucket_label(bucket: tuple[int, int]) -> str:
    low, high = bucket
    return f"{low}-{high} px" if high < 10_000 else f">= {low} px"


def _detector_table(result: ClassroomResult) -> str:
    rows = []
    for (low, high), (total, missed) in result.misses_by_size.items():
        if not total:
            continue
        rows.append([_bucket_label((low, high)), str(total), str(missed),
                     pct(missed / total)])
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
        rows.append([f"match+fuse ({o.label})",
                     ms(o.seconds_match / max(1, result.frames), 2) + " ms/frame"])
        rows.append([f"write sightings ({o.label})",
                     ms(o.seconds_write / max(1, result.frames)) + " ms/frame"])
    if result.enrollment.photos:
        rows.append(["enroll (end to end)",
                     f"{result.enrollment.seconds / result.enrollment.photos:.2f} s/photo"])
    return table(["stage", "mean"], rows)


def _targets(result: ClassroomResult) -> Sequence[str]:
    """Recall >= 99% with zero false presences, judged per configuration (the target names
    both models; each alone is judged too), with where the errors go when missed."""
    lines: list[str] = []
    if "fused" not in {o.config.name for o in result.outcomes}:
        lines.append("- Both models combined: not measured (no in-house weights).")
    for o in sorted(result.outcomes, key=lambda o: o.config.name not in ("fused", "both")):
        if o.tracking:
            continue
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
                at = thresholds_at(result.thresholds, o.config, point.threshold)
                lines.append(f"  - Calibration: with {at}, "
                             f"FPIR is {pct(point.fpir)} and FNIR {pct(point.fnir)} on these "
                             "faces.")
    for off, on in _pairs(result):
        added = on.counts.false_presence - off.counts.false_presence
        lines.append(
            f"- The tracker adds no false presence, {on.config.name}: {verdict(added <= 0)} - "
            f"{off.counts.false_presence} without, {on.counts.false_presence} with; recall "
            f"{pct(off.counts.recall)} without, {pct(on.counts.recall)} with; "
            f"{on.inherited_with_provenance} of {on.inherited} inherited sightings name the "
            "frame and box they came from.")
    lines.append(f"- Detector misses overall: {result.detector_misses} of "
                 f"{result.truth_faces} pasted faces "
                 f"({pct(result.detector_misses / max(1, result.truth_faces))}).")
    return lines


def thresholds_at(thresholds: Mapping[str, float], config: Configuration, score: float) -> str:
    """The thresholds that put ``config``'s open-set operating point at ``score`` (1.0: the
    configured ``thresholds``, by configuration and model name), for the calibration line."""
    name, rule = config.name, config.rule
    configured = thresholds[name]
    if rule not in FUSED_RULES:  # distance / threshold: scaled
        return (f"a distance threshold of {score * configured:.3f} for {name} "
                f"(configured {configured})")
    # The fused score is shifted (1 + fused distance - threshold), not scaled.
    text = (f"a fused distance threshold of {configured + score - 1.0:.3f} for {name} "
            f"(configured {configured})")
    if rule == "fused" and "dlib" in thresholds:
        dlib = thresholds["dlib"]
        text += (f" and dlib's at {score * dlib:.3f} (configured {dlib})" if score > 0 else
                 f" and dlib's own acceptance off (configured {dlib}; no distance is below 0)")
    return text


__all__ = ["classroom_markdown", "rule_difference_lines", "thresholds_at"]
