"""Render ``docs/model_card.md`` from an evaluation and the training runs' summaries."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from .card_text import EARLIER_FIGURES, INTRO
from .cohort import DEFAULT_TOP_K
from .evaluate import VerificationReport
from .report import (
    FUSED_RULE,
    FUSION_COHORT,
    INHOUSE_COHORT,
    INHOUSE_COHORT_MS,
    SENSITIVE_FUSION,
    EvaluationSummary,
    RuleRow,
)


def _relative(path: Path) -> str:
    """``path`` as a link from ``docs/model_card.md`` when it lies under ``docs/``."""
    parts = path.parts
    return "/".join(parts[parts.index("docs") + 1 :]) if "docs" in parts else str(path)


def read_run_summary(run_dir: Path) -> dict[str, str]:
    """The ``key=value`` lines a training run wrote to ``summary.txt`` (empty if absent)."""
    path = run_dir / "summary.txt"
    if not path.is_file():
        return {}
    pairs = (ln.split("=", 1) for ln in path.read_text().splitlines() if "=" in ln)
    return {k: v for k, v in pairs}


def _verification_table(reports: list[VerificationReport]) -> list[str]:
    rows = [
        "| model | accuracy (mean ± std, 10 folds) | ROC AUC | TAR @ FAR=1% | TAR @ FAR=0.1% |",
        "|---|---|---|---|---|",
    ]
    for r in reports:
        rows.append(
            f"| {r.model} | {r.mean_accuracy:.4f} ± {r.std_accuracy:.4f} | {r.auc:.4f} | "
            f"{r.tar_at_far_1e2:.4f} | {r.tar_at_far_1e3:.4f} |"
        )
    rows += [
        "",
        "Distance thresholds over all 6,000 pairs (accept as the same person when distance ≤ "
        "threshold; fusion thresholds are in minus-logit units). For the shipped in-house "
        "weights, take the cross-fold `inhouse` row as the honest estimate: the shipped "
        "model's own row comes from people it was trained on.",
        "",
        "| model | at FAR=1% | at FAR=0.1% | accuracy-optimal (its accuracy) | "
        "per-fold View 2 thresholds (min–max) |",
        "|---|---|---|---|---|",
    ]
    for r in reports:
        rows.append(
            f"| {r.model} | {r.threshold_far_1e2:.4f} | {r.threshold_far_1e3:.4f} | "
            f"{r.best_threshold:.4f} ({r.best_threshold_accuracy:.4f}) | "
            f"{min(r.fold_thresholds):.4f}–{max(r.fold_thresholds):.4f} |"
        )
    rows += [
        "",
        "Per-fold accuracies:",
        "",
        "| model | " + " | ".join(f"fold {i}" for i in range(1, 11)) + " |",
        "|---" * 11 + "|",
    ]
    for r in reports:
        rows.append(f"| {r.model} | " + " | ".join(f"{a:.3f}" for a in r.fold_accuracies) + " |")
    return rows


def _speedups(timings: Mapping[str, float]) -> list[str]:
    """One sentence per dlib/in-house pair of timings: how many times faster ours is."""
    out = []
    for dlib_key, ours_key in (
        ("dlib end to end", "inhouse end to end"),
        ("dlib encoder only (150x150 chip)", "inhouse encoder only (aligned crop)"),
    ):
        if dlib_key in timings and ours_key in timings and timings[ours_key] > 0:
            ratio = timings[dlib_key] / timings[ours_key]
            out.append(
                f"In-house vs dlib, {ours_key.removeprefix('inhouse ')}: {ratio:.1f}x faster."
            )
    return out


def _targets(summary: EvaluationSummary) -> list[str]:
    """The targets of ``face_cnn_v2`` (issue 15) against the measured figures."""
    by_name = {r.model: r for r in summary.reports}
    lines = ["### Against the targets", ""]
    inhouse, dlib = by_name.get("inhouse"), by_name.get("dlib")
    fusion = by_name.get(FUSION_COHORT, by_name.get("fusion"))

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    if inhouse is not None:
        acc = inhouse.mean_accuracy
        level = "met" if acc >= 0.97 else ("minimum 0.95 met" if acc >= 0.95 else "NOT met")
        lines += [
            f"* In-house LFW accuracy >= 0.97, 0.95 at the very least (cross-fold): {level} "
            f"({acc:.4f}).",
            f"* In-house TAR >= 0.90 at FAR = 1% (cross-fold): "
            f"{verdict(inhouse.tar_at_far_1e2 >= 0.90)} ({inhouse.tar_at_far_1e2:.4f}).",
            f"* In-house TAR >= 0.70 at FAR = 0.1% (cross-fold): "
            f"{verdict(inhouse.tar_at_far_1e3 >= 0.70)} ({inhouse.tar_at_far_1e3:.4f}).",
        ]
    normalised = by_name.get(INHOUSE_COHORT)
    if normalised is not None:
        lines += [
            f"* The same, with cohort score normalisation (`{INHOUSE_COHORT}`, as the fused "
            f"rule scores it): accuracy {normalised.mean_accuracy:.4f}, TAR at FAR = 1% "
            f"{normalised.tar_at_far_1e2:.4f} "
            f"({verdict(normalised.tar_at_far_1e2 >= 0.90)}), at FAR = 0.1% "
            f"{normalised.tar_at_far_1e3:.4f} ({verdict(normalised.tar_at_far_1e3 >= 0.70)}).",
        ]
    t = summary.timings_ms
    if t.get("inhouse end to end"):
        ratio = t["dlib end to end"] / t["inhouse end to end"]
        with_cohort = (
            f"; {t['dlib end to end'] / (t['inhouse end to end'] + t[INHOUSE_COHORT_MS]):.1f}x "
            "with the cohort statistics the fused rule adds" if t.get(INHOUSE_COHORT_MS) else "")
        lines.append(
            f"* In-house >= 10x faster per face than dlib: {verdict(ratio >= 10)} "
            f"({ratio:.1f}x end to end{with_cohort})."
        )
    if dlib is not None and fusion is not None:
        lines.append(
            f"* Fusion (`{fusion.model}`) TAR at FAR = 0.1% >= dlib's: "
            f"{verdict(fusion.tar_at_far_1e3 >= dlib.tar_at_far_1e3)} "
            f"({fusion.tar_at_far_1e3:.4f} vs {dlib.tar_at_far_1e3:.4f}; fusion accuracy "
            f"{fusion.mean_accuracy:.4f} vs {dlib.mean_accuracy:.4f})."
        )
    return [*lines, "", *_against_earlier(by_name, t), ""]


def _against_earlier(
    by_name: Mapping[str, VerificationReport], timings: Mapping[str, float]
) -> list[str]:
    """The cross-fold rows of this evaluation beside those of earlier weights."""
    lines = [
        "Before and after (the earlier rows are quoted from the cards of their dates, measured "
        "with the same protocol; dlib's row is the same model every time):",
        "",
        "| model | accuracy | ROC AUC | TAR @ FAR=1% | TAR @ FAR=0.1% | ms per face, end to end |",
        "|---|---|---|---|---|---|",
    ]
    for name, (acc, auc, tar2, tar3, ms) in EARLIER_FIGURES.items():
        lines.append(
            f"| {name} | {acc:.4f} | {auc:.4f} | {tar2:.4f} | {tar3:.4f} | {_ms(ms)} |"
        )
    ms_of = {
        "dlib": timings.get("dlib end to end", float("nan")),
        "inhouse": timings.get("inhouse end to end", float("nan")),
        INHOUSE_COHORT: timings.get("inhouse end to end", float("nan"))
        + timings.get(INHOUSE_COHORT_MS, float("nan")),
    }
    for model, label in (
        ("inhouse", "face_cnn_v2, these weights (cross-fold), raw distances"),
        (INHOUSE_COHORT, "face_cnn_v2, these weights (cross-fold), cohort-normalised"),
        ("fusion", "fusion with these weights, raw in-house distances"),
        (FUSION_COHORT, "fusion with these weights, as the matcher fuses"),
        ("dlib", "dlib"),
    ):
        r = by_name.get(model)
        if r is None:
            continue
        ms = ms_of.get(model, float("nan"))
        lines.append(
            f"| {label} | {r.mean_accuracy:.4f} | {r.auc:.4f} | {r.tar_at_far_1e2:.4f} | "
            f"{r.tar_at_far_1e3:.4f} | {_ms(ms)} |"
        )
    return lines


def _how(model: str, summary: EvaluationSummary) -> str:
    """How the simulation set ``model``'s threshold (the open-set table's last column)."""
    return {
        "dlib": "the configured `dlib_threshold`",
        "inhouse": f"FPIR {summary.inhouse_fpir:.1%} (half of 1%: a real camera degrades "
                   "faces in more ways than the simulation's)",
        "fusion": "the FPIR of dlib at its threshold (as strict), in minus-logit units",
        FUSED_RULE: "the fused threshold and margin over the runner-up (below) making the "
                    "rule as strict as dlib: a face the fusion or dlib at its own threshold "
                    "accepts is accepted, unless they differ or the runner-up is within the "
                    "margin (the default rule `fused`; the fusion alone is `fused_score`)",
        SENSITIVE_FUSION: "the FNIR of dlib at its threshold (as sensitive), for comparison: "
                          "where its FPIR is below dlib's, the fusion beats dlib both ways",
    }.get(model, "")


def _extra_teacher_data(summary: Mapping[str, str]) -> str:
    """Which teacher-labelled extras a run trained on, besides the images themselves."""
    extras = [
        label
        for key, label in (("views_path", "views"), ("morphs_path", "morphs"))
        if summary.get(key, "None") != "None"
    ]
    return ", ".join(extras) or "none"


def _cohort_open_set_table(summary: EvaluationSummary) -> list[str]:
    """The simulated rosters with raw and with cohort-normalised scores (empty when not
    measured)."""
    if not summary.cohort_open_set:
        return []
    return [
        "### Cohort score normalisation on the simulated rosters",
        "",
        "The same rosters and camera-like probes as above, each figure with raw distances and "
        "with cohort-normalised scores (`models/cnn/cohort.py`: model B's synthetic cohort "
        f"for the in-house model, one drawn the same way from dlib's vectors of B's training "
        f"people for dlib, the {DEFAULT_TOP_K} nearest cohort members per face). Each model "
        "alone has its threshold set on the scores shown at the FPIR named; the fusion rows "
        "are the fusion fitted on raw in-house distances (as shipped before 2026-12-06 evening) "
        "against the one fitted on normalised in-house scores (shipped now), each at its own "
        "threshold as strict as dlib. FNIR: students not found, those named as another "
        "student included.",
        "",
        "| what | FPIR: raw → normalised | FNIR: raw → normalised |",
        "|---|---|---|",
        *[
            f"| {label} | {fpir[0]:.2%} → {fpir[1]:.2%} | {fnir[0]:.2%} → {fnir[1]:.2%} |"
            for label, fpir, fnir in summary.cohort_open_set
        ],
        "",
    ]


#: The margins the card lists (besides the one chosen).
_CARD_MARGINS = (0.0, 0.3, 0.5, 1.0, 1.5, 2.0, 3.0)


def _fused_rule_table(summary: EvaluationSummary) -> list[str]:
    """How the ``fused`` rule's threshold and margin were chosen (empty when not measured)."""
    choice = summary.fused_rule
    if choice is None:
        return []
    chosen, dlib = choice.chosen, choice.dlib
    shown = [chosen]
    for margin in _CARD_MARGINS:
        strict = [r for r in choice.grid if r.margin == margin and r.as_strict_as(dlib)]
        best = max(strict, key=lambda r: r.threshold, default=None)
        if best is not None and best != chosen:
            shown.append(best)
    shown.sort(key=lambda r: (r.margin, r.threshold))

    def row(rule: str, r: RuleRow, note: str = "") -> str:
        return (f"| {rule} | {r.threshold:.3f}{note} | {r.margin:g} | {r.fnir:.2%} | "
                f"{r.wrong:.3%} | {r.fpir:.2%} |")

    return [
        "### The fused rule's threshold and margin over the runner-up",
        "",
        "The same simulated rosters, each probe decided as the matcher decides it under the "
        "default rule `fused`: the fused score's best student accepted at or below the fused "
        "threshold, dlib's nearest at or below dlib's own, nobody when the two name different "
        "students or when the runner-up's fused distance is less than the margin larger "
        "(minus-logit units: the best e^margin times likelier; a face about as like two "
        "students is more often a look-alike of one than either). The shipped pair, threshold "
        f"**{chosen.threshold:.3f}** and margin **{chosen.margin:g}**, is the one missing fewest "
        "students among the thresholds from the fused score's own to 3 stricter and the "
        "margins 0 to 3 (steps of 0.1) that name no more strangers and no more students as "
        "another student than dlib at its threshold: the rule as strict as dlib, both ways. "
        "Below, for a few margins, the loosest threshold that is as strict. FNIR: students "
        "not found (those named as someone else included); wrong: students named as another "
        "student; FPIR: strangers named.",
        "",
        "| rule | threshold | margin | FNIR | wrong student | FPIR |",
        "|---|---|---|---|---|---|",
        f"| dlib alone | {dlib.threshold:g} | — | {dlib.fnir:.2%} | {dlib.wrong:.3%} | "
        f"{dlib.fpir:.2%} |",
        row("fused score alone (`fused_score`)", choice.score_alone),
        row("`fused`, the fused score's own threshold, no margin", choice.rule_unchanged),
        *[row("`fused`", r, " (shipped)" if r == chosen else "") for r in shown],
        "",
    ]


def _ms(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.2f}"


def render_model_card(
    summary: EvaluationSummary, runs: Mapping[str, Path], commands: Mapping[str, str]
) -> str:
    """Markdown for the model card: static prose plus every measured figure."""
    lines = [
        INTRO.rstrip(),
        "",
        "## Results (generated by `attendance model "
        f"evaluate`, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
    ]
    lines += [
        f"Shipped weights: `models/cnn/weights/{summary.shipped_name}`, version "
        f"`{summary.shipped_version}`, {summary.shipped_bytes / 1e6:.2f} MB, "
        f"{summary.parameters:,} parameters.",
        "",
        "LFW images and where their face boxes came from: "
        + ", ".join(f"{k}: {v}" for k, v in summary.extra.items() if not k.startswith("dlib"))
        + ".",
        "",
        *_targets(summary),
        "### LFW View 2 verification (6,000 pairs)",
        "",
        *_verification_table(summary.reports),
        "",
        *[f"{k} (all 6,000 pairs): {v}." for k, v in summary.extra.items() if k.startswith("dlib")],
        "",
        "The fusion row above is fitted for each fold on the other nine (both images as they "
        "are). The fusion the matcher uses is fitted on what it decides, an enrolled photo "
        "against a camera's face: the 3,000 pairs of folds 6-10, one image as it is and the "
        "other as a camera sees it (`models/cnn/camera_probes.py`: shrunk until the face is "
        "36-72 px wide, JPEG quality 55-90, landmarks found again), both ways round, "
        "in-house scores from model B, cohort-normalised with B's cohort (s_inhouse): "
        "p(same) = sigmoid("
        f"{summary.fusion_weights[0]:.3f}·d_dlib + {summary.fusion_weights[1]:.3f}·s_inhouse + "
        f"{summary.fusion_weights[2]:.3f}), written with the operating thresholds below to "
        f"`{summary.fusion_file}`; the shipped weights' own cohort goes beside them "
        f"(`{summary.fusion_file.removesuffix('.fusion.json')}.cohort.npz`), and each "
        "cross-fold model's beside it. The in-house cohorts of this evaluation: "
        f"{summary.cohorts_source or 'fitted anew by this evaluation'} (`--refit-cohorts` "
        "draws new ones).",
        "",
        f"ROC figure: `{summary.roc_png}` (regenerated with the card).",
        "",
        "### Operating thresholds (simulated rosters of 30; `models/cnn/openset.py`)",
        "",
        "People of folds 6-10 only, in-house vectors from model B (which never saw them); "
        "rosters of 30 enrolled from 1-3 photos each as they are, probed by another photo of "
        "each student (mated) and by 60 strangers (non-mated), both as a camera sees them "
        "(the camera-like images above), 300 rosters. FPIR: strangers accepted as some "
        "student; FNIR: students not found, those named as another student included, in "
        "every table of this card (until 2026-12-07 this table and the cohort table counted "
        "them as found, so the FNIRs this card quotes from earlier stages are a little lower "
        "than they would be now). These thresholds are shipped in the fusion file.",
        "",
        "| model | threshold | FPIR | FNIR | how it was set |",
        "|---|---|---|---|---|",
        *[
            f"| {name} | {thr:.4f} | {fpir:.2%} | {fnir:.2%} | {_how(name, summary)} |"
            for name, (thr, fpir, fnir) in summary.open_set.items()
        ],
        "",
        *_fused_rule_table(summary),
        *_cohort_open_set_table(summary),
        "### Closed-set identification (people with ≥ 40 images, stratified 80/20 split, 1-NN)",
        "",
        "| model | people | gallery | probes | accuracy | note |",
        "|---|---|---|---|---|---|",
    ]
    for c in summary.closed_set:
        lines.append(
            f"| {c.model} | {c.people} | {c.gallery_images} | {c.probe_images} | "
            f"{c.accuracy:.4f} | {c.note} |"
        )
    lines += [
        "",
        "### Inference time per face (batch of 1, median, this machine's CPU)",
        "",
        "Each figure the median of one call per round over the `--timing-repeats` rounds, the "
        "calls of a round in turns, so a machine whose speed drifts (this one is shared) slows "
        "them alike. Before 2026-12-07 each was timed in a run of its own, one after the "
        "other: the same code measured dlib at 104-144 ms and the in-house model at 9.8-14.3 ms "
        "end to end in four such runs of 50 calls on a quiet machine (7.8x to 14.7x).",
        "",
        "| what | ms |",
        "|---|---|",
    ]
    lines += [f"| {k} | {v:.2f} |" for k, v in summary.timings_ms.items()]
    lines += ["", *_speedups(summary.timings_ms)]
    lines += [
        "",
        "### Training runs",
        "",
        "| run | held-out folds | images | people | epochs | wall time (min) | "
        "best val. loss | warm start | extra teacher data | learning curves |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, run_dir in runs.items():
        s = read_run_summary(run_dir)
        if not s:
            lines.append(f"| {name} | (no summary in {run_dir}) | | | | | | | | |")
            continue
        lines.append(
            f"| {name} | {s.get('holdout_folds', '?')} | {s.get('train_images', '?')} | "
            f"{s.get('train_people', '?')} | {s.get('epochs', '?')} | "
            f"{float(s.get('wall_seconds', 'nan')) / 60:.1f} | "
            f"{float(s.get('best_val_loss', 'nan')):.4f} | {s.get('init_weights', 'None')} | "
            f"{_extra_teacher_data(s)} | "
            f"[`{run_dir.name}/learning_curves.png`]"
            f"({_relative(run_dir / 'learning_curves.png')}) |"
        )
    lines += [
        "",
        "Best validation loss: vector loss plus pairwise-distance loss on the 5% of training "
        "images held out (lower is better; it is not comparable with `face_cnn_v1`'s cosine "
        "distance).",
        "",
        "### Commands",
        "",
        "```sh",
    ]
    lines += [f"# {k}\n{v}" for k, v in commands.items()]
    lines += ["```", ""]
    return "\n".join(lines)
