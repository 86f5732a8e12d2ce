"""Roster import from a CSV file: check every row first, then write all of it or nothing.

The file has a header row naming the columns ``student_number``, ``name``, ``course_code``
and optionally ``email`` (any order, case-insensitive; ``display_name`` is accepted for
``name``). Other columns are not imported, and the preview names them; a column named twice
refuses the file. A row with more values than the header has columns is an error of that
row (typically a name with a comma, unquoted), never read shifted. Each row puts one student
on one course's roster, creating the student (without photos or consent: they enroll their
face later) when the number is new. An enrolled student's name and email are never changed
by an import (only their page does that): a row giving other ones says so.

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
from ..messages import Message
from .audit import record_audit

#: Most data rows accepted in one file (a whole school's enrollment is split up).
MAX_ROWS = 2000
REQUIRED_COLUMNS = ("student_number", "name", "course_code")
_IMPORTED = ("student_number", "name", "email", "course_code")
_ALIASES = {"display_name": "name", "number": "student_number", "course": "course_code"}
#: Deliberately loose, as on the enrollment form: the address is only shown, never mailed.
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class ImportRow:
    """One data row as read: ``line`` is its line number in the file (header is line 1);
    ``problem`` says what was wrong with its shape (too many values), if anything."""

    line: int
    student_number: str
    name: str
    email: str
    course_code: str
    problem: str = ""


@dataclass(frozen=True)
class RosterFile:
    """A roster CSV as read: its data rows, and the header's columns that are not imported."""

    rows: list[ImportRow]
    ignored_columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlannedRow:
    row: ImportRow
    errors: tuple[str, ...]
    #: ``new student``, ``existing student`` or ``already on the roster`` when error-free.
    action: str = ""
    #: What the row asks that is not done (an enrolled student's other name or email).
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportPlan:
    rows: tuple[PlannedRow, ...]
    #: Columns of the file that are not imported.
    ignored_columns: tuple[str, ...] = ()

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
    """The data rows of a roster CSV (see :func:`read_roster_file`)."""
    return read_roster_file(data).rows


def read_roster_file(data: bytes) -> RosterFile:
    """A roster CSV (UTF-8, with or without BOM) read; :class:`InvalidInput` when the file
    is not such a CSV, lacks a required column, names one twice or has too many rows."""
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
        raise InvalidInput("the file is not valid CSV: %(exc)s", exc=exc) from exc
    columns = [_ALIASES.get(h.strip().lower(), h.strip().lower()) for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise InvalidInput(
            "the header row lacks %(missing)s; expected columns: student_number, name, email "
            "(optional), course_code", missing=', '.join(missing)
        )
    for name in _IMPORTED:
        if columns.count(name) > 1:
            places = [str(i + 1) for i, c in enumerate(columns) if c == name]
            raise InvalidInput("the header row names %(name)s more than once (columns "
                               "%(columns)s); keep one of them", name=name,
                               columns=", ".join(places))
    ignored = tuple(h.strip() or Message("(column %(number)s without a name)", number=i + 1)
                    for i, (h, c) in enumerate(zip(header, columns, strict=True))
                    if c not in _IMPORTED)
    rows: list[ImportRow] = []
    try:
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= MAX_ROWS:
                raise InvalidInput("the file has more than %(max_rows)s rows; split it up",
                                   max_rows=MAX_ROWS)
            values = dict(zip(columns, (c.strip() for c in cells), strict=False))
            rows.append(ImportRow(
                line=reader.line_num, student_number=values.get("student_number", ""),
                name=values.get("name", ""), email=values.get("email", ""),
                course_code=values.get("course_code", ""), problem=_shape(cells, header),
            ))
    except csv.Error as exc:
        raise InvalidInput("the file is not valid CSV near line %(line_num)s: %(exc)s",
                           line_num=reader.line_num, exc=exc) from exc
    if not rows:
        raise InvalidInput("the file has a header but no data rows")
    return RosterFile(rows, ignored)


def _shape(cells: Sequence[str], header: Sequence[str]) -> str:
    """What is wrong with a row's number of values ("" when nothing): more values than the
    header has columns would be read shifted, so the row is refused instead."""
    extra = [c for c in cells[len(header):] if c.strip()]
    if not extra:
        return ""  # empty trailing cells, as spreadsheets write them, are harmless
    return Message('%(values)s values but the header has %(columns)s columns (extra: '
                   '%(extra)s); a value holding a comma needs quotes, like "Lovelace, Ada"',
                   values=len(cells), columns=len(header),
                   extra=", ".join(repr(c.strip()) for c in extra[:3]))


def plan_roster_import(
    session: Session, rows: Sequence[ImportRow], *, by: Principal | None = None,
    ignored_columns: Sequence[str] = (),
) -> ImportPlan:
    """Check ``rows`` without writing. ``by`` (None: the operator) may name only the courses
    they may change (a teacher's own); any other course is reported exactly like one that
    does not exist. A row giving an enrolled student another name or email gets a note
    (the stored ones are named only to someone who may see the student)."""
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
        action, notes = "", tuple[str, ...]()
        if not errors:
            student = students.get(row.student_number)
            if student is None:
                action = Message("new student")
            else:
                action = (Message("already on the roster")
                          if (courses[row.course_code], student.id) in on_roster
                          else Message("existing student"))
                notes = _unchanged(row, student, access.may(
                    session, by, Action.VIEW_STUDENT, student))
        planned.append(PlannedRow(row, tuple(errors), action, notes))
    return ImportPlan(tuple(planned), tuple(ignored_columns))


def _unchanged(row: ImportRow, student: Student, visible: bool) -> tuple[str, ...]:
    """Notes on what the row gives an enrolled student that the import does not store. The
    stored values are compared only for someone who may see the student; to anyone else
    every name or email given gets the note, so nothing is learnt about the stored ones."""
    notes: list[str] = []
    if row.email and (not visible or row.email != (student.email or "")):
        notes.append(Message(
            "the email %(email)s is not stored: the student is enrolled, change it on the "
            "student's page (Edit name and email)", email=row.email)
            if visible else Message("the email in the file is not used for an enrolled student"))
    if row.name and (not visible or row.name != student.display_name):
        notes.append(Message(
            "the name %(name)r is not stored: the student is enrolled as %(enrolled)r; change "
            "it on the student's page (Edit name and email)", name=row.name,
            enrolled=student.display_name)
            if visible else Message("the name in the file is not used for an enrolled student"))
    return tuple(notes)


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
            "%(error_count)s row(s) have errors now; nothing was imported. Upload the corrected "
            "file again.", error_count=plan.error_count
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
    if row.problem:
        return [row.problem]
    errors = [p for text, what in ((row.student_number, Message("student number")),
                                   (row.name, Message("name")), (row.email, Message("email")),
                                   (row.course_code, Message("course code")))
              if (p := control_character_problem(text, what)) is not None]
    if errors:
        return errors
    if not row.student_number:
        errors.append(Message("student number is missing"))
    elif len(row.student_number) > 64:
        errors.append(Message("student number is longer than 64 characters"))
    if not row.course_code:
        errors.append(Message("course code is missing"))
    elif row.course_code not in courses:
        errors.append(Message("unknown course %(code)r", code=row.course_code))
    if len(row.name) > 200:
        errors.append(Message("name is longer than 200 characters"))
    elif not row.name and row.student_number not in students:
        errors.append(Message("name is missing (needed for a new student)"))
    if row.email and (len(row.email) > 254 or not _EMAIL_RE.match(row.email)):
        errors.append(Message("email %(email)r is not an address like name@school.edu",
                              email=row.email))
    if row.student_number:
        key = (row.student_number, row.course_code)
        if key in seen:
            errors.append(Message("duplicate of line %(line)s", line=seen[key]))
        else:
            seen[key] = row.line
        if row.name:
            first = names.setdefault(row.student_number, (row.name, row.line))
            if first[0] != row.name:
                errors.append(Message("name differs from line %(line)s (%(name)r)", line=first[1],
                                      name=first[0]))
    return errors


def _clean(text: str) -> bool:
    """Whether ``text`` holds no control character (``attendance.control_chars``)."""
    return first_control_character(text) is None
