"""``attendance bench classroom`` and ``attendance bench speed``: argument parsing only."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import click

from ..db import make_engine, make_session_factory
from .cohort import LfwMissingError, fold_cohort, pairs_file
from .report import demote, update_docs
from .setup import (
    DEFAULT_CACHE_DIR,
    DEFAULT_CROSS_FOLD_DIR,
    DEFAULT_LFW_DIR,
    bench_settings,
    build_embedders,
    choose_weights,
    command_line,
    detector_note,
    lfw_images,
    load_average,
    prepare_database,
)

logger = logging.getLogger(__name__)

#: Sessions start on this (fixed) day, one a day, so runs are reproducible.
FIRST_SESSION = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
DEFAULT_DOCS = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"

_lfw_option = click.option(
    "--lfw-dir", type=click.Path(file_okay=False, path_type=Path), envvar="ATTENDANCE_LFW_DIR",
    help="LFW: folder holding lfw-deepfunneled.tgz (or lfw-deepfunneled/) and pairs.txt, or "
         "the images folder itself [env ATTENDANCE_LFW_DIR; default ../shared/datasets/lfw].")
_cache_option = click.option(
    "--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_CACHE_DIR,
    show_default=True, help="Where the LFW archive is unpacked (once).")
_out_option = click.option(
    "--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
    help="Output folder: report, PNGs, frames, database.")
_docs_option = click.option(
    "--docs", "docs", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_DOCS,
    show_default=True, help="benchmarks page whose section is regenerated.")
_no_docs_option = click.option("--no-docs", is_flag=True, help="Leave the docs page alone.")


@click.command("classroom")
@_lfw_option
@click.option("--pairs", type=click.Path(dir_okay=False, path_type=Path),
              help="pairs.txt [default: next to the images or in --lfw-dir].")
@_cache_option
@_out_option
@click.option("--sessions", default=20, show_default=True, type=click.IntRange(1, 500))
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--roster-size", default=30, show_default=True, type=click.IntRange(1, 200))
@click.option("--frames", "frames_per_session", default=5, show_default=True,
              type=click.IntRange(1, 60), help="Frames per session.")
@click.option("--walk-ins", default=3, show_default=True, type=click.IntRange(0, 50),
              help="Non-roster people per session.")
@click.option("--weights", type=click.Path(dir_okay=False, path_type=Path),
              envvar="ATTENDANCE_BENCH_WEIGHTS",
              help="In-house .keras weights [default: the cross-fold model, else shipped].")
@click.option("--cross-fold-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder of the model trained without folds 1-5 [default: the shipped "
                   f"crossfold/face_cnn_v2_A.keras, else {DEFAULT_CROSS_FOLD_DIR}].")
@click.option("--database-url", help="SQLAlchemy URL of an empty database "
                                     "[default: a new SQLite file in --out].")
@click.option("--save-frames/--no-save-frames", default=True, show_default=True)
@click.option("--room", type=click.Choice(["rows", "seats"]), default="rows",
              show_default=True,
              help="rows: 1280x720, everyone seated anew in every frame, faces 60-150 px; "
                   "seats: 1920x1080, seats kept all session, back-row faces 30-60 px.")
@click.option("--detector-sweep/--no-detector-sweep", default=True, show_default=True,
              help="Also run every candidate detector setting on each frame.")
@_docs_option
@_no_docs_option
def classroom(
    lfw_dir: Path | None, pairs: Path | None, cache_dir: Path, out: Path, sessions: int,
    seed: int, roster_size: int, frames_per_session: int, walk_ins: int,
    weights: Path | None, cross_fold_dir: Path | None, database_url: str | None,
    save_frames: bool, room: str, detector_sweep: bool, docs: Path, no_docs: bool,
) -> None:
    """Simulated class sessions from LFW through the real pipeline, per configuration, with
    the worker's face tracker off and on."""
    from .classroom import run_classroom  # noqa: PLC0415 - heavy imports only when run
    from .classroom_report import classroom_markdown  # noqa: PLC0415
    from .enrolling import enroller_from_context  # noqa: PLC0415
    from .plan import plan_classroom  # noqa: PLC0415
    from .plots import plot_det  # noqa: PLC0415

    command = command_line()
    images = lfw_images(lfw_dir, cache_dir)
    try:
        cohort = fold_cohort(images, pairs_file([lfw_dir or DEFAULT_LFW_DIR, images], pairs))
        plan = plan_classroom(cohort, sessions=sessions, roster_size=roster_size,
                              frames_per_session=frames_per_session, walk_ins=walk_ins,
                              seed=seed, room=room)
    except (LfwMissingError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    out.mkdir(parents=True, exist_ok=True)
    choice = choose_weights(weights, cross_fold_dir)
    if choice.path is None or "Warning" in choice.note:
        click.echo(choice.note.replace("**", ""), err=True)
    models = ("dlib", "inhouse") if choice.path is not None else ("dlib",)
    settings = bench_settings(out, database_url, models)
    prepare_database(settings)
    engine = make_engine(settings)
    load = load_average()
    try:
        result = run_classroom(plan, settings, build_embedders(settings, choice.path),
                               make_session_factory(engine), enroller_from_context(),
                               start=FIRST_SESSION,
                               frames_dir=out / "frames" if save_frames else None,
                               detector_sweep=detector_sweep)
    finally:
        engine.dispose()
    name = "classroom" if room == "rows" else f"classroom-{room}"
    png = f"{name}_det.png"
    plot_det(result.scores, out / png,
             f"Open-set identification, {len(plan.sessions)} sessions (seed {seed})")
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    markdown = classroom_markdown(result, command=command, date=date, weights_note=choice.note,
                                  det_png=png, load=f"{load} before, {load_average()} after")
    (out / f"{name}.md").write_text(markdown, encoding="utf-8")
    click.echo(markdown)
    if not no_docs:
        _publish(docs, name, markdown, out / png)


def _publish(docs: Path, name: str, markdown: str, *pngs: Path) -> None:
    """Copy the report's PNGs next to ``docs`` and regenerate its section."""
    import shutil  # noqa: PLC0415

    target_dir = docs.parent / "benchmarks"
    target_dir.mkdir(parents=True, exist_ok=True)
    for png in pngs:
        if png.is_file():
            shutil.copyfile(png, target_dir / png.name)
            markdown = markdown.replace(f"]({png.name})", f"](benchmarks/{png.name})")
    update_docs(docs, name, demote(markdown))
    click.echo(f"updated {docs} ({name} section)")





@click.command("speed")
@_lfw_option
@_cache_option
@_out_option
@click.option("--repeats", default=3, show_default=True, type=click.IntRange(1, 100),
              help="Runs per worker case and tracker mode (matching uses 4x as many).")
@click.option("--faces", "face_counts", default="1,10,30", show_default=True,
              help="Faces per 1280x720 frame, comma-separated.")
@click.option("--seated-faces", default=30, show_default=True, type=click.IntRange(0, 40),
              help="People in the 1920x1080 seated room (0: leave it out).")
@click.option("--frames", default=8, show_default=True, type=click.IntRange(2, 100),
              help="Frames per run: the cold frame and the steady state after it.")
@click.option("--gallery-sizes", default="100,10000,100000,1000000", show_default=True,
              help="Matching gallery sizes, comma-separated.")
@click.option("--enroll-photos", default=10, show_default=True, type=click.IntRange(0, 200),
              help="Photos enrolled (one student each) for the enrollment figure.")
@click.option("--weights", type=click.Path(dir_okay=False, path_type=Path),
              envvar="ATTENDANCE_BENCH_WEIGHTS",
              help="In-house .keras weights [default: the cross-fold model, else shipped].")
@click.option("--cross-fold-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder of the model trained without folds 1-5 [default: the shipped "
                   f"crossfold/face_cnn_v2_A.keras, else {DEFAULT_CROSS_FOLD_DIR}].")
@click.option("--models", "model_names", type=click.Choice(["auto", "dlib"]), default="auto",
              show_default=True,
              help="auto: dlib and the in-house CNN when its weights exist; dlib: dlib only.")
@click.option("--database-url", help="SQLAlchemy URL of an empty database "
                                     "[default: a new SQLite file in --out].")
@_docs_option
@_no_docs_option
def speed(
    lfw_dir: Path | None, cache_dir: Path, out: Path, repeats: int, face_counts: str,
    seated_faces: int, frames: int, gallery_sizes: str, enroll_photos: int,
    weights: Path | None, cross_fold_dir: Path | None, model_names: str, database_url: str | None,
    docs: Path, no_docs: bool,
) -> None:
    """Seconds per enrolled photo, the worker's cold and steady-state frames with the face
    tracker off and on, per-query matching."""
    from .cohort import cohort_of  # noqa: PLC0415 - heavy imports only when run
    from .enrolling import enroller_from_context  # noqa: PLC0415
    from .speed import SpeedResult, time_enrollment, time_matching  # noqa: PLC0415
    from .speed_report import speed_markdown  # noqa: PLC0415
    from .speed_worker import seated_scenes, steady_scenes, time_worker  # noqa: PLC0415

    command = command_line()
    try:
        counts = [int(c) for c in face_counts.split(",") if c.strip()]
        sizes = [int(c) for c in gallery_sizes.split(",") if c.strip()]
    except ValueError as exc:
        raise click.ClickException(f"bad --faces or --gallery-sizes: {exc}") from exc
    images = lfw_images(lfw_dir, cache_dir)
    needed = max([*counts, seated_faces, enroll_photos + 1])
    names = sorted(p.name for p in images.iterdir() if p.is_dir())[: needed * 2]
    found = cohort_of(images, names)
    people = sorted([*found.students, *found.walk_ins], key=lambda p: p.name)
    if len(people) < needed:
        raise click.ClickException(f"{images} holds only {len(people)} people; need {needed}")
    out.mkdir(parents=True, exist_ok=True)
    choice = choose_weights(weights, cross_fold_dir)
    models = ("dlib", "inhouse") if choice.path is not None and model_names == "auto" else (
        "dlib",)
    settings = bench_settings(out, database_url, models)
    prepare_database(settings)
    embedders = build_embedders(settings, choice.path if "inhouse" in models else None)
    result = SpeedResult(enroll_models=models, interval_s=settings.capture_interval_seconds,
                         load_before=load_average())
    cases = [steady_scenes(people, c, frames, seed=c) for c in counts]
    if seated_faces:
        cases.append(seated_scenes(people, seated_faces, frames, seed=1000 + seated_faces))
    engine = make_engine(settings)
    try:
        factory = make_session_factory(engine)
        if enroll_photos:
            click.echo(f"enrollment: {enroll_photos} photos ...")
            result.enroll = time_enrollment(people[:enroll_photos + 1], settings, embedders,
                                            factory, enroller_from_context())
        click.echo(f"worker: {len(cases)} case(s) x {frames} frames x {repeats} x tracker "
                   "off/on ...")
        result.worker = time_worker(cases, repeats, settings, embedders, factory,
                                    FIRST_SESSION)
    finally:
        engine.dispose()
    click.echo(f"matching: galleries of {gallery_sizes} ...")
    result.matching = time_matching(sizes, repeats * 4)
    result.load_after = load_average()
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    markdown = speed_markdown(result, command=command, date=date, weights_note=
                              choice.note if "inhouse" in models else "In-house CNN left out "
                              "(`--models dlib`).", detector=detector_note(settings))
    (out / "speed.md").write_text(markdown, encoding="utf-8")
    click.echo(markdown)
    if not no_docs:
        _publish(docs, "speed", markdown)


@click.command("threads")
@_lfw_option
@_cache_option
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64),
              help="Threads at once (waitress serves the dashboard with 8).")
@click.option("--photos", default=48, show_default=True, type=click.IntRange(1, 2000),
              help="Photos embedded per strategy (one LFW photo per person).")
@click.option("--strategy", "strategies", multiple=True, type=click.Choice(["lock", "per-thread"]),
              help="Strategy to measure (repeatable) [default: both].")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the report (Markdown) to this file.")
def threads(lfw_dir: Path | None, cache_dir: Path, threads: int, photos: int,
            strategies: tuple[str, ...], out: Path | None) -> None:
    """dlib's models called from a thread pool: a lock per model against models per thread."""
    import os  # noqa: PLC0415

    from models.dlib_models import STRATEGIES, Strategy  # noqa: PLC0415

    from .threads import load_photos, run_threads, threads_markdown  # noqa: PLC0415

    command = command_line()
    images = lfw_images(lfw_dir, cache_dir)
    people = sorted(p for p in images.iterdir() if p.is_dir())
    paths = [next(iter(sorted(p.glob("*.jpg")))) for p in people if any(p.glob("*.jpg"))]
    if not paths:
        raise click.ClickException(f"{images} holds no <person>/<image>.jpg photos")
    paths = (paths * (photos // len(paths) + 1))[:photos]
    chosen: list[Strategy] = [s for s in STRATEGIES if not strategies or s in strategies]
    click.echo(f"{len(paths)} photos on {threads} threads: {', '.join(chosen)} ...")
    runs = run_threads(load_photos(paths), threads=threads, strategies=chosen)
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    markdown = threads_markdown(runs, command=command, date=date, cpus=os.cpu_count())
    if out is not None:
        out.write_text(markdown, encoding="utf-8")
    click.echo(markdown)
    if any(r.max_difference > 1e-4 for r in runs):
        raise click.ClickException("threaded embeddings differ from single-thread ones")


__all__ = ["classroom", "speed", "threads"]
