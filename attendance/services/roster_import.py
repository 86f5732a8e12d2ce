"""Roster import from a CSV file: check every row first, then write all of it or nothing.

The file has a header row naming the columns ``student_number``, ``name``, ``course_code``
and optionally ``email`` (any order, case-insensitive; ``display_name`` is accepted for
``name``). Each row puts one student on one course's roster, creating the student (without
photos or consent: they enroll their face later) when the number is new.

:func:`plan_roster_import` checks rows against the database and returns per-row errors; it
writes nothing. :func:`apply_roster_import` plans again (the database may have changed since
the preview) and refuses the whole file if any row has an error.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import access
from ..access import Action, Principal
from ..control_chars import control_character_problem, first_control_character
from ..db import Course, Enrollment, Student
from ..errors import InvalidInput
from .audit import record_audit

#: Most data rows accepted in one file (a whole school's enrollment is split up).
MAX_ROWS = 2000
REQUIRED_COLUMNS = ("student_number", "name", "course_code")
_ALIASES = {"display_name": "name", "number": "student_number", "course": "course_code"}
#: Deliberately loose, as on the enrollment form: the address is only shown, never mailed.
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class ImportRow:
    """One data row as read: ``line`` is its line number in the file (header is line 1)."""

    line: int
    student_number: str
    name: str
    email: str
    course_code: str


@dataclass(frozen=True)
class PlannedRow:
    row: ImportRow
    errors: tuple[str, ...]
    #: ``new student``, ``existing student`` or ``already on the roster`` when error-free.
    action: str = ""


@dataclass(frozen=True)
class ImportPlan:
    rows: tuple[PlannedRow, ...]

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not any(r.errors for r in self.rows)

    @property
    def error_count(self) -> int:
        return sum(1 for r in self.rows if r.errors)


@dataclass(frozen=True)
class ImportSummary:
    students_created: int
    roster_additions: int
    courses: tuple[str, ...] = field(default=())


def read_roster_csv(data: bytes) -> list[ImportRow]:
    """The data rows of a roster CSV (UTF-8, with or without BOM); :class:`InvalidInput`
    when the file is not such a CSV, lacks a required column or has too many rows."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput("the file is not UTF-8 text; save it as CSV UTF-8") from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput("the file is empty; it needs a header row and data rows") from None
    except csv.Error as exc:
        raise InvalidInput(f"the file is not valid CSV: {exc}") from exc
    columns = [_ALIASES.get(h.strip().lower(), h.strip().lower()) for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise InvalidInput(
            f"the header row lacks {', '.join(missing)}; expected columns: "
            "student_number, name, email (optional), course_code"
        )
    rows: list[ImportRow] = []
    try:
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= MAX_ROWS:
                raise InvalidInput(f"the file has more than {MAX_ROWS} rows; split it up")
            values = dict(zip(columns, (c.strip() for c in cells), strict=False))
            rows.append(ImportRow(
                line=reader.line_num, student_number=values.get("student_number", ""),
                name=values.get("name", ""), email=values.get("email", ""),
                course_code=values.get("course_code", ""),
            ))
    except csv.Error as exc:
        raise InvalidInput(f"the file is not valid CSV near line {reader.line_num}: {exc}") from exc
    if not rows:
        raise InvalidInput("the file has a header but no data rows")
    return rows


def plan_roster_import(
    session: Session, rows: Sequence[ImportRow], *, by: Principal | None = None
) -> ImportPlan:
    """Check ``rows`` without writing. ``by`` (None: the operator) may name only the courses
    they may change (a teacher's own); any other course is reported exactly like one that
    does not exist."""
    access.require(session, by, Action.IMPORT_ROSTER)
    # Text with control characters is refused row by row (below) and never sent to the
    # database: PostgreSQL cannot even compare a NUL.
    codes = {r.course_code for r in rows if r.course_code and _clean(r.course_code)}
    query = select(Course.code, Course.id).where(Course.code.in_(codes))
    course_ids = access.course_scope(session, by) if by is not None else None
    if course_ids is not None:
        query = query.where(Course.id.in_(course_ids))
    courses = {code: cid for code, cid in session.execute(query)}
    numbers = {r.student_number for r in rows if r.student_number and _clean(r.student_number)}
    students = {s.student_number: s for s in session.scalars(
        select(Student).where(Student.student_number.in_(numbers)))}
    on_roster = set(session.execute(
        select(Enrollment.course_id, Enrollment.student_id)
        .where(Enrollment.course_id.in_(list(courses.values())))
    ).tuples())
    seen: dict[tuple[str, str], int] = {}
    names: dict[str, tuple[str, int]] = {}
    planned: list[PlannedRow] = []
    for row in rows:
        errors = _row_errors(row, courses, students, seen, names)
        action = ""
        if not errors:
            student = students.get(row.student_number)
            if student is None:
                action = "new student"
            elif (courses[row.course_code], student.id) in on_roster:
                action = "already on the roster"
            else:
                action = "existing student"
        planned.append(PlannedRow(row, tuple(errors), action))
    return ImportPlan(tuple(planned))


def apply_roster_import(
    session: Session,
    rows: Sequence[ImportRow],
    *,
    actor: str,
    user_id: int | None = None,
    by: Principal | None = None,
) -> ImportSummary:
    """Plan ``rows`` again and write them: new students created, everyone put on their
    course's roster, one ``roster.import`` audit entry. Nothing is written when any row has
    an error (:class:`InvalidInput`). The caller commits."""
    plan = plan_roster_import(session, rows, by=by)
    if not plan.ok:
        raise InvalidInput(
            f"{plan.error_count} row(s) have errors now; nothing was imported. "
            "Upload the corrected file again."
        )
    courses = {c.code: c for c in session.scalars(
        select(Course).where(Course.code.in_({r.row.course_code for r in plan.rows})))}
    students = {s.student_number: s for s in session.scalars(
        select(Student).where(Student.student_number.in_(
            {r.row.student_number for r in plan.rows})))}
    created = 0
    for planned in plan.rows:
        row = planned.row
        if row.student_number not in students:
            student = Student(student_number=row.student_number, display_name=row.name,
                              email=row.email or None)
            session.add(student)
            students[row.student_number] = student
            created += 1
    session.flush()
    wanted = {(courses[p.row.course_code].id, students[p.row.student_number].id)
              for p in plan.rows if p.action != "already on the roster"}
    session.add_all(Enrollment(course_id=c, student_id=s) for c, s in sorted(wanted))
    codes = tuple(sorted({p.row.course_code for p in plan.rows}))
    record_audit(session, actor=actor, action="roster.import", target_type="course",
                 user_id=user_id, details={"courses": list(codes), "rows": len(plan.rows),
                                           "students_created": created,
                                           "roster_additions": len(wanted)})
    session.flush()
    return ImportSummary(created, len(wanted), codes)


def _row_errors(
    row: ImportRow,
    courses: dict[str, int],
    students: dict[str, Student],
    seen: dict[tuple[str, str], int],
    names: dict[str, tuple[str, int]],
) -> list[str]:
    errors = [p for text, what in ((row.student_number, "student number"), (row.name, "name"),
                                   (row.email, "email"), (row.course_code, "course code"))
              if (p := control_character_problem(text, what)) is not None]
    if errors:
        return errors
    if not row.student_number:
        errors.append("student number is missing")
    elif len(row.student_number) > 64:
        errors.append("student number is longer than 64 characters")
    if not row.course_code:
        errors.append("course code is missing")
    elif row.course_code not in courses:
        errors.append(f"unknown course {row.course_code!r}")
    if len(row.name) > 200:
        errors.append("name is longer than 200 characters")
    elif not row.name and row.student_number not in students:
        errors.append("name is missing (needed for a new student)")
    if row.email and (len(row.email) > 254 or not _EMAIL_RE.match(row.email)):
        errors.append(f"email {row.email!r} is not an address like name@school.edu")
    if row.student_number:
        key = (row.student_number, row.course_code)
        if key in seen:
            errors.append(f"duplicate of line {seen[key]}")
        else:
            seen[key] = row.line
        if row.name:
            first = names.setdefault(row.student_number, (row.name, row.line))
            if first[0] != row.name:
                errors.append(f"name differs from line {first[1]} ({first[0]!r})")
    return errors


def _clean(text: str) -> bool:
    """Whether ``text`` holds no control character (``attendance.control_chars``)."""
    return first_control_character(text) is None
