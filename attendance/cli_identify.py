"""``attendance identify IMAGE``: who does the system see in this photo, and how sure is it?"""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select

from models import ModelError, load_embedders

from .cli_support import cli_settings, cli_template_cipher, cli_transaction, domain_errors_as_click
from .db import Enrollment, Student
from .detection import detect_faces, face_inputs
from .errors import InvalidInput
from .matching import Decision, decide_faces, fusion_for, load_gallery
from .services.courses import get_course


@click.command()
@click.argument("image", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--course", "course_code", metavar="CODE",
              help="Match against this course's roster only (default: every active student).")
@domain_errors_as_click
def identify(image: Path, course_code: str | None) -> None:
    """Find the faces in IMAGE and print each one's box, best match, distances and decision."""
    settings = cli_settings()
    cipher = cli_template_cipher(settings)  # before any work: refuses a lost key file
    pixels = _read_rgb(image)
    faces = detect_faces(pixels, detector=settings.detector,
                         max_side=settings.detection_max_side)
    if not faces:
        click.echo(f"no face found in {image} (detector {settings.detector})")
        return
    embedders = load_embedders(settings.embedders, dlib_jitters=settings.dlib_jitters)
    inputs = face_inputs(pixels, faces)
    try:
        embeddings = {e.name: e.embed(inputs) for e in embedders}
        versions = {e.name: e.version for e in embedders}
        thresholds = {e.name: settings.threshold_for(e.name) for e in embedders}
        fusion = fusion_for(settings, versions)
    except ModelError as exc:  # e.g. the in-house weights or their fusion file are missing
        raise click.ClickException(str(exc)) from exc
    with cli_transaction(settings) as session:
        student_ids: list[int] | None = None
        course_id: int | None = None
        if course_code is not None:
            course_id = get_course(session, course_code).id
            student_ids = list(session.scalars(
                select(Enrollment.student_id).where(Enrollment.course_id == course_id)))
        galleries = load_gallery(session, student_ids, versions, course_id=course_id,
                                 cipher=cipher)
        decisions = decide_faces(galleries, embeddings, thresholds, settings.fusion_rule,
                                 fusion)
        named = ({m.student_id for d in decisions for m in d.matches.values()}
                 | {s for d in decisions if d.fused is not None
                    for s in (d.fused.student_id, d.fused.runner_up_id)}) - {None}
        names = {s.id: f"{s.student_number} {s.display_name}"
                 for s in session.scalars(select(Student).where(Student.id.in_(named)))}
    scope = (f"consenting roster of {course_code}" if course_code
             else "every active, consenting student")
    click.echo(f"{len(faces)} face(s) in {image}, matched against {scope} "
               f"(fusion rule {settings.fusion_rule}):")
    for number, (face, decision) in enumerate(zip(faces, decisions, strict=True), start=1):
        top, right, bottom, left = face.box
        click.echo(f"face {number}: box top={top} right={right} bottom={bottom} left={left}")
        for line in _match_lines(decision, names):
            click.echo(f"  {line}")


def _match_lines(decision: Decision, names: dict[int, str]) -> list[str]:
    lines = []
    for name, match in decision.matches.items():
        who = names.get(match.student_id, "-") if match.student_id is not None else "-"
        verdict = "accepts" if match.accepted else "rejects"
        lines.append(f"{name}: nearest {who}, distance {match.distance:.3f} "
                     f"(threshold {match.threshold:.3f}) -> {verdict}")
    fused = decision.fused
    if fused is not None:
        if fused.student_id is None:
            lines.append("fused: no student has embeddings of both models")
        else:
            verdict = "accepts" if fused.accepted else "rejects"
            lines.append(f"fused: best {names.get(fused.student_id, '-')}, p(same) "
                         f"{fused.probability:.3f}, fused distance {fused.distance:.3f} "
                         f"(threshold {fused.threshold:.3f}) -> {verdict}")
        if fused.runner_up_id is not None:
            lines.append(f"fused: runner-up {names.get(fused.runner_up_id, '-')}, fused "
                         f"distance {fused.runner_up_distance:.3f}, "
                         f"{fused.runner_up_distance - fused.distance:.2f} behind (margin "
                         f"{fused.margin:g}{', too close' if fused.ambiguous else ''})")
    outcome = names.get(decision.student_id, "?") if decision.student_id is not None else "unknown"
    lines.append(f"decision: {outcome} ({decision.reason})")
    return lines


def _read_rgb(path: Path) -> NDArray[np.uint8]:
    from PIL import Image, ImageOps, UnidentifiedImageError  # noqa: PLC0415 - CLI only

    try:
        with Image.open(path) as img:
            upright = ImageOps.exif_transpose(img)
            return np.ascontiguousarray(np.asarray(upright.convert("RGB"), dtype=np.uint8))
    except (UnidentifiedImageError, OSError) as exc:
        raise InvalidInput(f"{path} cannot be read as an image: {exc}") from exc
