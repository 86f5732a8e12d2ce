"""The review queue: a course's unsure sightings without a verdict, grouped and paged.

A camera sees the same face every few seconds, so one unsure student easily leaves dozens of
unsure sightings in a session. The queue therefore asks one question per **(class session,
candidate student)**: "is this X?", shown with the group's closest likenesses first, and the
teacher's one verdict settles the whole group (``attendance.services.review``). Groups are
ordered newest session first, then by when the camera first saw the face, and paged.

Only candidates who are on the course's roster and whose active consent covers the course
are asked about: nobody else may be named. The same holds for the other student a face left
unknown because it looks about as much like two students resembles (``look_alike``), and
the students each figure of a shown sighting is about (``ReviewPage.names``): named only when
they too are on the roster with consent (``roster.nameable_students``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from ..db import Camera, ClassSession, ReviewDecision, Sighting, Verdict
from ..errors import InvalidInput
from .evidence import evidence_names
from .roster import nameable_students
from .unsure import ModelEvidence, closeness, look_alike, model_evidence, unsure

#: Most recent sightings of a course examined for the queue.
SCAN_LIMIT = 5000
#: Groups shown on one page of the queue.
GROUPS_PER_PAGE = 10


@dataclass(frozen=True)
class GroupSighting:
    """One unsure sighting of a group; ``closeness`` as :func:`~.unsure.closeness`."""

    sighting_id: int
    seen_at: datetime
    dedupe_key: str | None
    camera: str | None
    closeness: float
    #: The sighting already counts for the candidate (the recogniser accepted it).
    counted: bool
    evidence: list[ModelEvidence]
    #: Why the sighting is unsure (``attendance.services.unsure.unsure``).
    reason: str = ""


@dataclass(frozen=True)
class ReviewGroup:
    """The pending unsure sightings of one candidate in one class session.

    ``sightings`` are ordered closest likeness first. ``last_sighting_id`` is the newest
    sighting in the group: a verdict given on this group settles the sightings up to it, so
    faces that arrive after the teacher looked are asked about again."""

    class_session_id: int
    session_starts_at: datetime
    student_id: int
    student_number: str
    student_name: str
    sightings: list[GroupSighting]
    #: Sightings of this candidate in this session a teacher already said "not" about.
    earlier_rejections: int = 0
    #: (student number, name) of the other student the closest likeness looks about as much
    #: like (:func:`~.unsure.look_alike`), when they are on the roster with consent.
    look_alike: tuple[str, str] | None = None
    last_sighting_id: int = field(init=False)
    first_seen: datetime = field(init=False)
    last_seen: datetime = field(init=False)

    def __post_init__(self) -> None:
        if not self.sightings:
            raise ValueError("a review group needs at least one sighting")
        object.__setattr__(self, "last_sighting_id", max(s.sighting_id for s in self.sightings))
        object.__setattr__(self, "first_seen", min(s.seen_at for s in self.sightings))
        object.__setattr__(self, "last_seen", max(s.seen_at for s in self.sightings))

    @property
    def best(self) -> GroupSighting:
        """The closest likeness of the group."""
        return self.sightings[0]

    @property
    def reason(self) -> str:
        """Why the closest likeness is unsure."""
        return self.best.reason

    @property
    def counted(self) -> int:
        """How many of the group's sightings already count for the candidate."""
        return sum(1 for s in self.sightings if s.counted)


@dataclass(frozen=True)
class ReviewPage:
    """One page of the queue: ``groups`` of page ``page`` (1-based) out of ``pages``."""

    groups: list[ReviewGroup]
    page: int
    pages: int
    total_groups: int
    total_sightings: int
    #: (student number, name) by id of the students the shown groups' closest sightings'
    #: figures are about, where they may be named (``evidence.evidence_names``).
    names: dict[int, tuple[str, str]] = field(default_factory=dict)


def review_groups(
    session: Session, course_id: int, *, page: int = 1, per_page: int = GROUPS_PER_PAGE
) -> ReviewPage:
    """Page ``page`` of the course's review queue (a page past the end shows the last one).

    Raises :class:`InvalidInput` for a page number below 1 or a page size below 1."""
    if page < 1:
        raise InvalidInput("page %(page)s does not exist; pages are numbered from 1", page=page)
    if per_page < 1:
        raise InvalidInput("a page must hold at least one group")
    groups = all_groups(session, course_id)
    pages = max(1, -(-len(groups) // per_page))
    page = min(page, pages)
    shown = groups[(page - 1) * per_page: page * per_page]
    return ReviewPage(shown, page, pages, len(groups), sum(len(g.sightings) for g in groups),
                      evidence_names(session, course_id, [g.best.evidence for g in shown]))


def all_groups(session: Session, course_id: int) -> list[ReviewGroup]:
    """Every group of the course's queue, newest session first, then by first sighting."""
    pending = _pending_unsure(session, ClassSession.course_id == course_id)
    roster = nameable_students(session, course_id)
    members: dict[tuple[int, int], list[GroupSighting]] = {}
    starts: dict[int, datetime] = {}
    for item in pending:
        if item.candidate in roster:
            members.setdefault((item.class_session_id, item.candidate), []).append(item.sighting)
            starts[item.class_session_id] = item.session_starts_at
    rejected = _rejections(session, {key[0] for key in members})
    groups = []
    for (class_session_id, student_id), found in members.items():
        student = roster[student_id]
        found.sort(key=lambda s: (s.closeness, s.seen_at, s.sighting_id))
        other_id = look_alike(found[0].evidence, student_id)
        other = None if other_id is None else roster.get(other_id)
        groups.append(ReviewGroup(
            class_session_id, starts[class_session_id], student_id, student.student_number,
            student.display_name, found, rejected.get((class_session_id, student_id), 0),
            None if other is None else (other.student_number, other.display_name)))
    groups.sort(key=lambda g: (-g.session_starts_at.timestamp(), g.first_seen, g.student_number))
    return groups


def pending_count(session: Session, class_session_id: int) -> int:
    """How many (candidate) groups of the class session wait for a verdict."""
    pending = _pending_unsure(session, ClassSession.id == class_session_id)
    return len({item.candidate for item in pending})


@dataclass(frozen=True)
class PendingUnsure:
    """An unsure sighting without a verdict, with the candidate it asks about."""

    class_session_id: int
    session_starts_at: datetime
    candidate: int
    sighting: GroupSighting


def pending_group(
    session: Session, class_session_id: int, student_id: int, *, upto: int | None = None
) -> list[int]:
    """Ids of the unsure sightings of the class session without a verdict whose candidate is
    ``student_id`` (only those up to sighting id ``upto`` when given), oldest first."""
    where = [ClassSession.id == class_session_id]
    if upto is not None:
        where.append(Sighting.id <= upto)
    return sorted(item.sighting.sighting_id for item in _pending_unsure(session, *where)
                  if item.candidate == student_id)


def _pending_unsure(session: Session, *where: ColumnElement[bool]) -> list[PendingUnsure]:
    rows = session.execute(
        select(Sighting, ClassSession.starts_at, Camera.name)
        .join(ClassSession, ClassSession.id == Sighting.class_session_id)
        .outerjoin(Camera, Camera.id == Sighting.camera_id)
        .outerjoin(ReviewDecision, ReviewDecision.sighting_id == Sighting.id)
        .where(ReviewDecision.id.is_(None), *where)
        .order_by(ClassSession.starts_at.desc(), Sighting.seen_at.desc(), Sighting.id.desc())
        .limit(SCAN_LIMIT)
    ).tuples()
    found = []
    for sighting, starts_at, camera in rows:
        evidence = model_evidence(sighting.evidence or {})
        verdict = unsure(evidence, sighting.student_id)
        if verdict is None:
            continue
        candidate, reason = verdict
        found.append(PendingUnsure(
            sighting.class_session_id, starts_at, candidate,
            GroupSighting(sighting.id, sighting.seen_at, sighting.dedupe_key, camera,
                          closeness(evidence, candidate), sighting.student_id == candidate,
                          evidence, reason)))
    return found


def _rejections(session: Session, class_session_ids: Sequence[int] | set[int]
                ) -> dict[tuple[int, int], int]:
    if not class_session_ids:
        return {}
    rows = session.execute(
        select(Sighting.class_session_id, ReviewDecision.student_id, func.count())
        .join(Sighting, Sighting.id == ReviewDecision.sighting_id)
        .where(Sighting.class_session_id.in_(list(class_session_ids)),
               ReviewDecision.decision == Verdict.REJECTED.value)
        .group_by(Sighting.class_session_id, ReviewDecision.student_id)
    ).tuples()
    return {(session_id, student_id): count for session_id, student_id, count in rows}


__all__ = ["GROUPS_PER_PAGE", "SCAN_LIMIT", "GroupSighting", "PendingUnsure", "ReviewGroup",
           "ReviewPage", "all_groups", "pending_count", "pending_group", "review_groups"]
