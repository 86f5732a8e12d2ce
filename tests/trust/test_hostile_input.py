"""Proof: injection-style names are stored exactly, shown escaped and exported inert; path
traversal in uploaded file names and student numbers writes nothing outside the photo folder."""

from __future__ import annotations

import csv
import io
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from flask.testing import FlaskClient
from markupsafe import escape
from numpy.typing import NDArray
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from attendance.config import Settings
from attendance.db import Student
from attendance.export import FORMULA_PREFIXES
from attendance.services.roster import add_to_roster
from enrollment.storage import PHOTOS_DIR

Faces = tuple[NDArray[np.uint8], NDArray[np.uint8]]

CAFE_NFC = unicodedata.normalize("NFC", "Café Zoë")
CAFE_NFD = unicodedata.normalize("NFD", "Café Zoë")
#: Twenty names an attacker or an unusual family might type.
HOSTILE_NAMES = (
    "Robert'); DROP TABLE students;--",
    "1' OR '1'='1",
    '" OR ""="',
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "</textarea><svg/onload=alert(1)>",
    "{{ 7*7 }} {% raw %}",
    "=cmd|' /C calc'!A0",
    "+SUM(A1:A9)",
    "-2+3+cmd|' /C calc'!A0",
    "@HYPERLINK(\"http://evil.example\",\"x\")",
    "Tab\tinside =1+1",
    CAFE_NFC,
    CAFE_NFD,
    "\u202egnp.exe",  # right-to-left override
    "مريم العربية",
    "שרה כהן",
    "Ana 👩🏽‍🎓 Lima",
    "O'Brien-Ñúñez & Søn",
    "Zero\u200bWidth\ufeffName",
)


def _jpeg(face: NDArray[np.uint8]) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(face).save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


def _enroll(client: FlaskClient, course_id: int, number: str, name: str, filename: str,
            data: bytes) -> int:
    return client.post("/students/enroll", content_type="multipart/form-data", data={
        "student_number": number, "display_name": name, "consent": "y",
        "course": str(course_id), "photos": [(io.BytesIO(data), filename)],
    }).status_code


@pytest.mark.lfw
def test_hostile_names_are_stored_exactly_shown_escaped_and_exported_inert(
    client: FlaskClient, auth: Any, classroom: Any, session_factory: sessionmaker[Session],
    two_faces: Faces,
) -> None:
    assert len(HOSTILE_NAMES) == 20
    assert CAFE_NFC != CAFE_NFD
    photo = _jpeg(two_faces[0])
    auth.login("alice")
    statuses = [_enroll(client, classroom.course_id, f"N{i:02d}", name, "face.jpg", photo)
                for i, name in enumerate(HOSTILE_NAMES)]
    assert all(status == 200 for status in statuses), statuses
    with session_factory.begin() as session:
        stored = {s.student_number: s.display_name for s in session.scalars(
            select(Student).where(Student.student_number.like("N%")))}
        add_to_roster(session, classroom.course_id,
                      student_ids=list(session.scalars(select(Student.id).where(
                          Student.student_number.like("N%")))))
    exact = sum(stored[f"N{i:02d}"] == name for i, name in enumerate(HOSTILE_NAMES))

    page = client.get("/students/?q=").get_data(as_text=True)
    escaped = sum(str(escape(name)) in page for name in HOSTILE_NAMES)
    raw_markup = [n for n in HOSTILE_NAMES if "<" in n and n in page]

    rows = list(csv.reader(io.StringIO(
        client.get(f"/sessions/{classroom.session_id}/export.csv").data.decode("utf-8-sig"),
        newline="")))
    names_in_csv = {r[6]: r[7] for r in rows[1:]}
    csv_live = [v for v in names_in_csv.values() if v.startswith(FORMULA_PREFIXES)]
    csv_exact = sum(names_in_csv[f"N{i:02d}"].removeprefix("'") == name
                    for i, name in enumerate(HOSTILE_NAMES))

    book = load_workbook(io.BytesIO(
        client.get(f"/sessions/{classroom.session_id}/export.xlsx").data))
    cells = [c for row in book.active.iter_rows(min_row=2) for c in row]
    xlsx_formulas = [c.value for c in cells if c.data_type == "f"]
    # Formula-like text is kept as typed, in string cells with Excel's quote prefix.
    xlsx_live = [c.value for c in cells
                 if isinstance(c.value, str) and c.value.startswith(FORMULA_PREFIXES)
                 and not (c.data_type == "s" and c.quotePrefix)]
    names_in_xlsx = {r[6].value: r[7].value for r in book.active.iter_rows(min_row=2)}
    xlsx_exact = sum(names_in_xlsx[f"N{i:02d}"] == name for i, name in enumerate(HOSTILE_NAMES))
    print(f"\n[trust] hostile names: {len(HOSTILE_NAMES)} stored exactly {exact}, rendered "
          f"escaped {escaped}, raw markup in page {len(raw_markup)}, CSV exact {csv_exact} / "
          f"live formulas {len(csv_live)}, XLSX exact {xlsx_exact} / formula cells "
          f"{len(xlsx_formulas)} / unprotected formula text {len(xlsx_live)}")
    assert exact == 20
    assert escaped == 20
    assert raw_markup == []
    assert csv_exact == 20
    assert csv_live == []
    assert xlsx_exact == 20
    assert xlsx_formulas == []
    assert xlsx_live == []


#: (student number, uploaded file name): each tries to escape the photo folder.
TRAVERSALS = (
    ("T01", "../../../../escaped1.jpg"),
    ("T02", "..\\..\\..\\escaped2.jpg"),
    ("T03", "/tmp/escaped3.jpg"),  # noqa: S108  (an attack string, nothing is written there)
    ("T04", "C:\\Windows\\System32\\escaped4.jpg"),
    ("T05", "%2e%2e%2f%2e%2e%2fescaped5.jpg"),
    ("T06", "....//....//escaped6.jpg"),
    ("../../T07", "escaped7.jpg"),
    ("..\\..\\T08", "~/.ssh/escaped8.jpg"),
    ("/abs/T09", "photo.jpg/../../escaped9.jpg"),
    ("T10/../../..", ".." + "/" * 50 + "escaped10.jpg"),
)


def _all_files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


@pytest.mark.lfw
def test_path_traversal_names_write_nothing_outside_the_photo_folder(
    tmp_path: Path, client: FlaskClient, auth: Any, settings: Settings,
    session_factory: sessionmaker[Session], two_faces: Faces, classroom: Any,
) -> None:
    photos = (settings.instance_path / PHOTOS_DIR).resolve()
    before = _all_files(tmp_path)
    auth.login("alice")
    face = two_faces[0]
    statuses = []
    for index, (number, filename) in enumerate(TRAVERSALS):
        # A slightly different picture each time, so no upload is "already stored".
        data = _jpeg(np.clip(face.astype(np.int16) + index, 0, 255).astype(np.uint8))
        statuses.append(_enroll(client, classroom.course_id, number, f"Traveller {index}",
                                filename, data))
    new = _all_files(tmp_path) - before
    # The instance's encryption key (made on first use) is the one other file expected.
    keys = (settings.instance_path / "keys").resolve()
    outside = [p for p in new if not p.resolve().is_relative_to(photos)
               and not p.resolve().is_relative_to(keys) and p.name != "test.sqlite3-journal"]
    escaped = [p for p in tmp_path.parent.rglob("escaped*") if p.is_file()]
    with session_factory() as session:
        enrolled = len(list(session.scalars(select(Student.id).where(
            Student.student_number.in_([number for number, _ in TRAVERSALS])))))
    print(f"\n[trust] path traversal: {len(TRAVERSALS)} uploads, {enrolled} enrolled, "
          f"{len(new)} files written, outside the photo folder {len(outside)}, "
          f"files named escaped* anywhere {len(escaped)}")
    assert all(status == 200 for status in statuses)
    assert enrolled == len(TRAVERSALS)
    assert len(new) >= len(TRAVERSALS)
    assert outside == []
    assert escaped == []
    assert not Path("/tmp/escaped3.jpg").exists()  # noqa: S108

