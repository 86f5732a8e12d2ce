"""``attendance model ...``: train and evaluate the in-house CNN. Only parses arguments."""

from __future__ import annotations

import logging
import shlex
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

_LFW_HELP = "directory holding pairs.txt and lfw-deepfunneled/ or lfw-deepfunneled.tgz"
_CACHE_HELP = "cache directory for the unpacked images and the per-image feature cache"


def _folds(text: str) -> tuple[int, ...]:
    """Parse "1-5" or "1,2,3" (1-based folds); "" means none."""
    if not text:
        return ()
    if "-" in text:
        lo, hi = (int(v) for v in text.split("-", 1))
        return tuple(range(lo, hi + 1))
    return tuple(int(v) for v in text.split(","))


def _command_line(subcommand: str) -> str:
    """The invocation as ``attendance model <subcommand> ...`` (for the model card)."""
    args = sys.argv[sys.argv.index(subcommand) :] if subcommand in sys.argv else [subcommand]
    return shlex.join(["attendance", "model", *args])


def _lfw_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option(
        "--lfw-dir",
        envvar="ATTENDANCE_LFW_DIR",
        required=True,
        type=click.Path(path_type=Path),
        help=_LFW_HELP,
    )(func)
    return click.option(
        "--cache-dir", required=True, type=click.Path(path_type=Path), help=_CACHE_HELP
    )(func)


@click.group("model")
def model() -> None:
    """Train and evaluate the in-house face-embedding CNN on LFW."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")


@model.command("train")
@_lfw_options
@click.option("--output", required=True, type=click.Path(path_type=Path), help="run directory")
@click.option(
    "--holdout-folds", default="", help='pairs.txt folds whose people are left out, "1-5"'
)
@click.option("--max-minutes", default=25.0, show_default=True, help="wall-time budget")
@click.option("--max-epochs", default=200, show_default=True)
@click.option("--batch-size", default=128, show_default=True)
@click.option("--learning-rate", default=2e-3, show_default=True)
@click.option("--seed", default=1234, show_default=True)
@click.option(
    "--init-from",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="warm start from these weights (.keras)",
)
@click.option(
    "--threads", default=0, show_default=True, help="TensorFlow threads (0: all cores); use 1 "
    "to run two trainings side by side on a small machine"
)
@click.option(
    "--teacher-views",
    is_flag=True,
    help="also train on mirrored and shrunk views of each image, each with dlib's descriptor "
    "of that view (computed once, about 30 min on 2 cores, cached in the cache directory)",
)
@click.option(
    "--teacher-morphs",
    is_flag=True,
    help="also train on blends of two training faces, each with dlib's descriptor of the "
    "blend (computed once for both cross-fold splits, about 45 min on 2 cores, cached in the "
    "cache directory)",
)
@click.option(
    "--morph-set",
    type=click.Choice(["uniform", "look-alike", "uniform-2", "uniform-3", "uniform-4"]),
    default="uniform",
    show_default=True,
    help="which teacher morphs: 'uniform' blends two training images drawn at random (48,000); "
    "'look-alike' is 24,000 new ones, half of them blends of two people dlib places close "
    "together (about 30 min on 2 cores); 'uniform-2' is 48,000 new ones drawn as 'uniform' "
    "with another seed (about 35 min on 2 cores; the shipped weights' last stage); 'uniform-3' "
    "is 96,000 more with a third seed (31 min on 2 cores with dlib built against OpenBLAS: see "
    "the model card); 'uniform-4' is 48,000 more with a fourth seed (8 min on 2 cores with that "
    "dlib)",
)
@click.option(
    "--morph-batch",
    default=64,
    show_default=True,
    type=click.IntRange(min=1),
    help="teacher morphs added to each batch of images (with --teacher-morphs)",
)
@click.option(
    "--pair-weight",
    default=2.0,
    show_default=True,
    type=click.FloatRange(min=0.0),
    help="weight of the loss on the pairwise distances within a batch, next to the loss on the "
    "vectors (weight 1)",
)
@click.option(
    "--ema",
    default=0.0,
    show_default=True,
    type=click.FloatRange(min=0.0, max=1.0, max_open=True),
    help="momentum of a moving average of the weights, which is validated and saved instead "
    "of the weights themselves (0: none; 0.998 averages about the last 500 steps)",
)
@click.option("--install", is_flag=True, help="copy the result over the shipped weights")
def train_command(
    lfw_dir: Path,
    cache_dir: Path,
    output: Path,
    holdout_folds: str,
    max_minutes: float,
    max_epochs: int,
    batch_size: int,
    learning_rate: float,
    seed: int,
    init_from: Path | None,
    threads: int,
    teacher_views: bool,
    teacher_morphs: bool,
    morph_set: str,
    morph_batch: int,
    pair_weight: float,
    ema: float,
    install: bool,
) -> None:
    """Distil dlib's embeddings into the in-house CNN (features are computed once, cached)."""
    from .cnn.embedder import DEFAULT_WEIGHTS  # noqa: PLC0415 - keep `--help` fast
    from .cnn.lfw import PAIRS_NAME, ensure_unpacked  # noqa: PLC0415
    from .cnn.morphs import MORPH_SETS  # noqa: PLC0415
    from .cnn.train import TrainConfig, train  # noqa: PLC0415

    config = TrainConfig(
        images_dir=ensure_unpacked(lfw_dir, cache_dir),
        pairs_path=lfw_dir / PAIRS_NAME,
        features_path=cache_dir / "lfw_features_v2.npz",
        output_dir=output,
        holdout_folds=_folds(holdout_folds),
        seed=seed,
        batch_size=batch_size,
        max_epochs=max_epochs,
        max_minutes=max_minutes,
        learning_rate=learning_rate,
        init_weights=init_from,
        threads=threads,
        views_path=cache_dir / "lfw_views_v1.npz" if teacher_views else None,
        morphs_path=cache_dir / MORPH_SETS[morph_set].file_name if teacher_morphs else None,
        morph_set=morph_set,
        morph_batch=morph_batch,
        pair_weight=pair_weight,
        ema=ema,
    )
    output.mkdir(parents=True, exist_ok=True)
    (output / "command.txt").write_text(_command_line("train") + "\n")
    result = train(config)
    click.echo(
        f"model: {result.model_path}\nepochs: {result.epochs}\n"
        f"wall time: {result.wall_seconds / 60:.1f} min\n"
        f"best validation loss: {result.best_val_loss:.4f}"
    )
    if install:
        shutil.copyfile(result.model_path, DEFAULT_WEIGHTS)
        click.echo(f"installed as {DEFAULT_WEIGHTS}")


def _weights_file(path: Path) -> Path:
    """A .keras file as given, or the ``face_cnn.keras`` inside a training run's directory."""
    return path / "face_cnn.keras" if path.is_dir() else path


@model.command("evaluate")
@_lfw_options
@click.option(
    "--model-a",
    type=click.Path(path_type=Path, exists=True),
    help="weights (.keras or a run dir) trained without folds 1-5 "
    "[default: the shipped crossfold/face_cnn_v2_A.keras]",
)
@click.option(
    "--model-b",
    type=click.Path(path_type=Path, exists=True),
    help="weights (.keras or a run dir) trained without folds 6-10 "
    "[default: the shipped crossfold/face_cnn_v2_B.keras]",
)
@click.option(
    "--runs-dir",
    default=Path("docs/training"),
    show_default=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="where the training runs' records (A/, B/, full/, each followed by its optional "
    "<name>-continued/, <name>-views/, <name>-morphs/, <name>-more-morphs/, "
    "<name>-look-alike/ and <name>-new-morphs/ stages: "
    "summary.txt, history.csv, command.txt, learning_curves.png) are kept for the card",
)
@click.option("--figures-dir", required=True, type=click.Path(path_type=Path))
@click.option(
    "--card", default=Path("docs/model_card.md"), show_default=True, type=click.Path(path_type=Path)
)
@click.option(
    "--write-fusion/--no-write-fusion",
    default=True,
    show_default=True,
    help="write the fitted fusion and thresholds next to the shipped weights, and each "
    "in-house model's cohort next to it",
)
@click.option("--timing-repeats", default=100, show_default=True)
@click.option(
    "--refit-cohorts",
    is_flag=True,
    help="draw the in-house synthetic cohorts anew even where the one beside the weights was "
    "made for them (by default those are reused, so that a rerun, also on another CPU, "
    "reproduces the fusion and its thresholds)",
)
def evaluate_command(
    lfw_dir: Path,
    cache_dir: Path,
    model_a: Path | None,
    model_b: Path | None,
    runs_dir: Path,
    figures_dir: Path,
    card: Path,
    write_fusion: bool,
    timing_repeats: int,
    refit_cohorts: bool,
) -> None:
    """Score dlib, in-house (cross-fold) and fusion on LFW View 2; rewrite the model card, and
    the fusion parameters and the cohorts (of the shipped and of the cross-fold weights)
    shipped with the weights: a cohort already beside weights it was made for is kept unless
    --refit-cohorts (the first run also computes camera-like versions of the folds 6-10
    images, about 5 minutes on 2 cores, cached in --cache-dir)."""
    import json  # noqa: PLC0415

    from .cnn.cohort import save_cohort  # noqa: PLC0415
    from .cnn.embedder import CROSS_FOLD_WEIGHTS, DEFAULT_WEIGHTS, weights_digest  # noqa: PLC0415
    from .cnn.lfw import PAIRS_NAME, ensure_unpacked  # noqa: PLC0415
    from .cnn.model_card import render_model_card  # noqa: PLC0415
    from .cnn.report import EvaluationConfig, fusion_params_json, run_evaluation  # noqa: PLC0415
    from .fusion_params import FUSION_SUFFIX  # noqa: PLC0415

    weights_a = _weights_file(model_a) if model_a else CROSS_FOLD_WEIGHTS["A"]
    weights_b = _weights_file(model_b) if model_b else CROSS_FOLD_WEIGHTS["B"]
    for path in (weights_a, weights_b, DEFAULT_WEIGHTS):
        if not path.is_file():
            raise click.ClickException(f"weights not found: {path}")
    summary = run_evaluation(
        EvaluationConfig(
            images_dir=ensure_unpacked(lfw_dir, cache_dir),
            pairs_path=lfw_dir / PAIRS_NAME,
            features_path=cache_dir / "lfw_features_v2.npz",
            model_a=weights_a,
            model_b=weights_b,
            shipped=DEFAULT_WEIGHTS,
            figures_dir=figures_dir,
            camera_probes_path=cache_dir / "lfw_camera_probes_v1.npz",
            timing_repeats=timing_repeats,
            refit_cohorts=refit_cohorts,
        )
    )
    runs = _training_runs(runs_dir)
    commands = {
        name: (d / "command.txt").read_text().strip()
        for name, d in runs.items()
        if (d / "command.txt").is_file()
    }
    commands["evaluate"] = _command_line("evaluate")
    card.write_text(render_model_card(summary, runs, commands))
    if write_fusion:
        target = DEFAULT_WEIGHTS.with_name(DEFAULT_WEIGHTS.stem + FUSION_SUFFIX)
        data = fusion_params_json(summary, DEFAULT_WEIGHTS, weights_digest(DEFAULT_WEIGHTS))
        target.write_text(json.dumps(data, indent=2) + "\n")
        click.echo(f"wrote {target}")
        for key, weights in (("shipped", DEFAULT_WEIGHTS), ("A", weights_a), ("B", weights_b)):
            written = save_cohort(weights, summary.cohorts[key], weights_digest(weights))
            click.echo(f"wrote {written}")
    for r in summary.reports:
        click.echo(
            f"{r.model}: acc {r.mean_accuracy:.4f} ± {r.std_accuracy:.4f}, "
            f"AUC {r.auc:.4f}, TAR@1% {r.tar_at_far_1e2:.4f}, "
            f"TAR@0.1% {r.tar_at_far_1e3:.4f}"
        )
    for name, ms in summary.timings_ms.items():
        click.echo(f"{name}: {ms:.2f} ms")
    click.echo(f"wrote {card}")


def _training_runs(runs_dir: Path) -> dict[str, Path]:
    """The training records the card lists, by name: A/, B/ and full/, each followed by the
    stages in which its weights were trained further (warm-started), in this order:
    ``<name>-continued/`` (more epochs), ``<name>-views/`` (with teacher views),
    ``<name>-morphs/`` (with teacher morphs), ``<name>-more-morphs/`` (with twice as many),
    ``<name>-look-alike/`` (with new morphs, half of them blends of look-alikes) and
    ``<name>-new-morphs/`` (with new uniform morphs, ``--morph-set uniform-2``)."""
    runs: dict[str, Path] = {}
    for name, folder in (("A (cross-fold)", "A"), ("B (cross-fold)", "B"), ("shipped", "full")):
        runs[name] = runs_dir / folder
        for suffix, stage in (
            ("continued", "continued"),
            ("views", "with teacher views"),
            ("morphs", "with teacher morphs"),
            ("more-morphs", "with twice the teacher morphs"),
            ("look-alike", "with look-alike morphs"),
            ("new-morphs", "with new teacher morphs"),
        ):
            if (runs_dir / f"{folder}-{suffix}").is_dir():
                runs[f"{name}, {stage}"] = runs_dir / f"{folder}-{suffix}"
    return runs


if __name__ == "__main__":  # `python -m models.cli ...` works before the package is installed
    model()
