"""What both benchmark commands need: LFW located, settings, database, embedders, weights."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import click

from models import Embedder, load_embedders

from ..config import Settings, load_settings
from ..db import Base, Student, make_engine
from ..errors import AttendanceError
from .cohort import LfwMissingError, images_dir

#: Where `--lfw-dir` points by default: the shared data set next to the repository.
DEFAULT_LFW_DIR = Path("../shared/datasets/lfw")
#: The cross-fold model A (trained without the people of LFW folds 1-5, those the benchmark
#: enrolls and films) shipped beside the in-house weights: the default when present.
SHIPPED_CROSS_FOLD_A = (Path(__file__).resolve().parents[2] / "models" / "cnn" / "weights"
                        / "crossfold" / "face_cnn_v2_A.keras")
#: Where the cross-fold model A is looked for otherwise (a training run of one's own).
DEFAULT_CROSS_FOLD_DIR = Path("../cache/runs/A")
DEFAULT_CACHE_DIR = Path("../cache")


def lfw_images(lfw_dir: Path | None, cache_dir: Path) -> Path:
    """The LFW images folder, or a ClickException saying what is missing."""
    try:
        return images_dir(lfw_dir or DEFAULT_LFW_DIR, cache_dir)
    except LfwMissingError as exc:
        raise click.ClickException(str(exc)) from exc


@dataclass(frozen=True)
class WeightsChoice:
    """The in-house weights to measure (None: unavailable) and what the report says."""

    path: Path | None
    note: str


def choose_weights(explicit: Path | None, cross_fold_dir: Path | None,
                   shipped_cross_fold: Path = SHIPPED_CROSS_FOLD_A) -> WeightsChoice:
    """``explicit``, else the cross-fold model A: ``cross_fold_dir``'s first ``.keras`` file
    when a folder is given, else ``shipped_cross_fold`` when present, else
    :data:`DEFAULT_CROSS_FOLD_DIR`'s; else the shipped weights (with a warning: the shipped
    model saw every LFW person in training)."""
    from models.cnn.embedder import DEFAULT_WEIGHTS  # noqa: PLC0415 - no keras import

    if explicit is not None:
        if not explicit.is_file():
            raise click.ClickException(f"--weights {explicit} does not exist")
        return WeightsChoice(explicit, f"In-house weights: `{explicit}` (given on the "
                                       "command line).")
    if cross_fold_dir is None:
        if shipped_cross_fold.is_file():
            return WeightsChoice(shipped_cross_fold, (
                f"In-house weights: shipped cross-fold model `{shipped_cross_fold.name}`, "
                "trained without the people of folds 1-5 (none of the people here were seen "
                "in training)."))
        cross_fold_dir = DEFAULT_CROSS_FOLD_DIR
    found = sorted(cross_fold_dir.glob("*.keras")) if cross_fold_dir.is_dir() else []
    if found:
        return WeightsChoice(found[0], f"In-house weights: cross-fold model `{found[0]}`, "
                                       "trained without the people of folds 1-5 (none of "
                                       "the people here were seen in training).")
    if DEFAULT_WEIGHTS.is_file():
        return WeightsChoice(DEFAULT_WEIGHTS, (
            f"**Warning:** no cross-fold model in `{cross_fold_dir}`; measured the shipped "
            f"weights `{DEFAULT_WEIGHTS.name}`, trained on all of LFW, so its figures here are "
            "optimistic (it has seen these people)."))
    return WeightsChoice(None, (
        f"**Warning:** no in-house weights (neither `{cross_fold_dir}/*.keras` nor the "
        "shipped file): only dlib was measured."))


def build_embedders(settings: Settings, weights: Path | None) -> list[Embedder]:
    """dlib, plus the in-house CNN with ``weights`` when given."""
    embedders = load_embedders(["dlib"], dlib_jitters=settings.dlib_jitters)
    if weights is not None:
        from models.cnn.embedder import KerasCnnEmbedder  # noqa: PLC0415 - loads lazily

        embedders.append(KerasCnnEmbedder(weights))
    return embedders


def bench_settings(out: Path, database_url: str | None, models: tuple[str, ...]) -> Settings:
    """Settings for a run writing into ``out``; the database defaults to a new SQLite file
    there (an existing one is replaced, so runs never mix)."""
    url = database_url
    if url is None:
        target = (out / "bench.sqlite3").resolve()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{target}"
    try:
        return load_settings({"instance_path": out / "instance", "database_url": url,
                              "embedders": ",".join(models), "keep_photos": False})
    except AttendanceError as exc:
        raise click.ClickException(str(exc)) from exc


def prepare_database(settings: Settings) -> None:
    """Create the schema; refuse a database that already holds students."""
    from sqlalchemy import func, select  # noqa: PLC0415

    engine = make_engine(settings)
    try:
        Base.metadata.create_all(engine)
        with engine.connect() as conn:
            count = conn.execute(select(func.count(Student.id))).scalar_one()
    finally:
        engine.dispose()
    if count:
        raise click.ClickException(
            f"the database {settings.effective_database_url} already holds {count} students; "
            "give --database-url an empty database (the benchmark enrolls its own)")


def command_line(argv: list[str] | None = None) -> str:
    """The command as typed, for the report (``attendance`` plus its arguments), with any
    password in a database URL replaced by ``***``."""
    import re  # noqa: PLC0415
    import shlex  # noqa: PLC0415
    import sys  # noqa: PLC0415

    args = sys.argv[1:] if argv is None else argv
    text = shlex.join(["attendance", *args])
    return re.sub(r"(://[^:/@\s]+:)[^@\s]+@", r"\1***@", text)


def cpu_count() -> int:
    return os.cpu_count() or 1


def detector_note(settings: Settings) -> str:
    """The detector settings a run used, for its report."""
    band = settings.detection_upsample_band
    return (f"{settings.detector}, frames downscaled above {settings.detection_frame_max_side} "
            f"px, the top {band:.0%} of each frame upsampled once"
            if settings.detector != "haar" else settings.detector)


def load_average() -> str:
    """The machine's load average over 1, 5 and 15 minutes (``/proc/loadavg``), as text."""
    try:
        return " ".join(Path("/proc/loadavg").read_text(encoding="ascii").split()[:3])
    except OSError:
        return "n/a"


__all__ = [
    "DEFAULT_CACHE_DIR",
    "DEFAULT_CROSS_FOLD_DIR",
    "DEFAULT_LFW_DIR",
    "SHIPPED_CROSS_FOLD_A",
    "WeightsChoice",
    "bench_settings",
    "build_embedders",
    "choose_weights",
    "command_line",
    "cpu_count",
    "detector_note",
    "lfw_images",
    "load_average",
    "prepare_database",
]
