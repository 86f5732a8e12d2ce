"""The classroom simulation's script: courses, rosters, sessions, who is in which frame.

Everything is drawn from one seed, so the same arguments always give the same plan (and,
through :mod:`.scenes`, the same frames). Per course: ``roster_size`` students, each to be
enrolled from 1-3 of their photos; per session: each student attends with probability
``attend_rate`` and then appears in 2 or more of the session's frames (never with an
enrollment photo), while ``walk_ins`` non-roster people each appear in 1-3 frames.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .cohort import Cohort, Person

#: Face heights are 60 + 90 * u**2 px (u uniform in 0-1): many small faces at the back,
#: a few large ones in front, as a camera at the front of a room sees them.
FACE_MIN_PX, FACE_SPAN_PX = 60.0, 90.0


@dataclass(frozen=True)
class Appearance:
    """One face in one frame: who, which photo, its height (px), brightness gain, blur (px)."""

    name: str
    photo: Path
    face_height: float
    gain: float
    blur_sigma: float


@dataclass(frozen=True)
class FramePlan:
    index: int
    appearances: tuple[Appearance, ...]
    #: Seed for the composer (layout, background), derived from the plan's seed.
    seed: int


@dataclass(frozen=True)
class SessionPlan:
    index: int
    course: int
    attending: tuple[str, ...]
    absent: tuple[str, ...]
    walk_ins: tuple[str, ...]
    frames: tuple[FramePlan, ...]


@dataclass(frozen=True)
class CoursePlan:
    index: int
    roster: tuple[str, ...]
    #: Per student, the photos to enroll from (1-3).
    enroll_photos: dict[str, tuple[Path, ...]]


@dataclass(frozen=True)
class ClassroomPlan:
    seed: int
    courses: tuple[CoursePlan, ...]
    sessions: tuple[SessionPlan, ...]


def plan_classroom(
    cohort: Cohort,
    *,
    sessions: int,
    roster_size: int = 30,
    sessions_per_course: int = 5,
    frames_per_session: int = 5,
    walk_ins: int = 3,
    attend_rate: float = 0.85,
    seed: int = 0,
) -> ClassroomPlan:
    """Script ``sessions`` sessions over ``ceil(sessions / sessions_per_course)`` courses
    with disjoint rosters. Raises ValueError when the cohort is too small."""
    if sessions < 1 or roster_size < 1 or frames_per_session < 1:
        raise ValueError("sessions, roster size and frames per session must be at least 1")
    rng = np.random.default_rng(seed)
    n_courses = -(-sessions // sessions_per_course)
    if len(cohort.students) < n_courses * roster_size:
        raise ValueError(f"{n_courses} course(s) of {roster_size} need "
                         f"{n_courses * roster_size} students; the cohort has "
                         f"{len(cohort.students)}")
    picked = [cohort.students[int(i)] for i in rng.permutation(len(cohort.students))]
    by_name = {p.name: p for p in [*cohort.students, *cohort.walk_ins]}
    courses: list[CoursePlan] = []
    frame_photos: dict[str, tuple[Path, ...]] = {}
    for c in range(n_courses):
        members = picked[c * roster_size:(c + 1) * roster_size]
        enroll: dict[str, tuple[Path, ...]] = {}
        for person in members:
            photos = [person.photos[int(i)] for i in rng.permutation(len(person.photos))]
            k = int(rng.integers(1, min(3, len(photos) - 1) + 1))
            enroll[person.name] = tuple(photos[:k])
            frame_photos[person.name] = tuple(photos[k:])
        courses.append(CoursePlan(c, tuple(p.name for p in members), enroll))
    strangers = list(cohort.walk_ins) + picked[n_courses * roster_size:]
    for person in strangers:
        frame_photos[person.name] = person.photos
    plans = [
        _plan_session(s, courses[s % n_courses], strangers, frame_photos, by_name, rng,
                      frames_per_session, walk_ins, attend_rate, seed)
        for s in range(sessions)
    ]
    return ClassroomPlan(seed, tuple(courses), tuple(plans))


def _plan_session(
    index: int,
    course: CoursePlan,
    strangers: Sequence[Person],
    frame_photos: dict[str, tuple[Path, ...]],
    by_name: dict[str, Person],
    rng: np.random.Generator,
    frames: int,
    walk_ins: int,
    attend_rate: float,
    seed: int,
) -> SessionPlan:
    attends = rng.random(len(course.roster)) < attend_rate
    attending = tuple(n for n, a in zip(course.roster, attends, strict=True) if a)
    absent = tuple(n for n, a in zip(course.roster, attends, strict=True) if not a)
    visitors = tuple(strangers[int(i)].name
                     for i in rng.choice(len(strangers), size=min(walk_ins, len(strangers)),
                                         replace=False)) if strangers else ()
    slots: list[list[Appearance]] = [[] for _ in range(frames)]
    for name, low, high in [(n, 2, frames) for n in attending] + [(n, 1, 3) for n in visitors]:
        count = max(1, min(frames, int(rng.integers(low, max(low, high) + 1))))
        for f in sorted(int(i) for i in rng.choice(frames, size=count, replace=False)):
            photos = frame_photos.get(name) or by_name[name].photos
            slots[f].append(Appearance(
                name=name,
                photo=photos[int(rng.integers(len(photos)))],
                face_height=FACE_MIN_PX + FACE_SPAN_PX * float(rng.random()) ** 2,
                gain=float(rng.uniform(0.7, 1.3)),
                blur_sigma=float(rng.uniform(0.0, 1.2)),
            ))
    frame_plans = tuple(
        FramePlan(f, tuple(slots[f]), int(np.random.SeedSequence([seed, index, f])
                                           .generate_state(1)[0]))
        for f in range(frames)
    )
    return SessionPlan(index, course.index, attending, absent, visitors, frame_plans)


__all__ = [
    "Appearance",
    "ClassroomPlan",
    "CoursePlan",
    "FramePlan",
    "SessionPlan",
    "plan_classroom",
]
