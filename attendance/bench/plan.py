"""The classroom simulation's script: courses, rosters, sessions, who is in which frame.

Everything is drawn from one seed, so the same arguments always give the same plan (and,
through :mod:`.scenes`, the same frames). Per course: ``roster_size`` students, each to be
enrolled from 1-3 of their photos; per session: each student attends with probability
``attend_rate`` and then appears in 2 or more of the session's frames (never with an
enrollment photo), while ``walk_ins`` non-roster people each appear in 1-3 frames.

Two rooms (``room``): ``"rows"``, 1280x720 frames where every frame seats everyone anew
(faces 60-150 px, packed in rows by :func:`.scenes.compose_scene`); and ``"seats"``, the
1920x1080 classroom of :mod:`.seating`: every person keeps one seat for the session and moves
a little between frames, shows the same photo until they turn (a new photo with probability
:data:`POSE_CHANGE` per frame), and half of the walk-ins sit down in the seat of a student
who is not in that frame, right after that student was (the hard case for a worker that
carries identities from frame to frame).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .cohort import Cohort, Person
from .scenes import FRAME_SIZE
from .seating import ROOM_SIZE, Seat, classroom_seats, moved

#: Face heights are 60 + 90 * u**2 px (u uniform in 0-1): many small faces at the back,
#: a few large ones in front, as a camera at the front of a room sees them.
FACE_MIN_PX, FACE_SPAN_PX = 60.0, 90.0
ROOMS = ("rows", "seats")
#: Seated room: the chance per frame that a person shows another photo (turns their head).
POSE_CHANGE = 0.3


@dataclass(frozen=True)
class Appearance:
    """One face in one frame: who, which photo, its height (px), brightness gain, blur (px),
    and in the seated room the face's centre (``x``, ``y``, px) and the seat's index."""

    name: str
    photo: Path
    face_height: float
    gain: float
    blur_sigma: float
    x: float | None = None
    y: float | None = None
    seat: int | None = None


@dataclass(frozen=True)
class FramePlan:
    index: int
    appearances: tuple[Appearance, ...]
    #: Seed for the composer (layout, background), derived from the plan's seed.
    seed: int
    #: Frame size (width, height), px.
    size: tuple[int, int] = FRAME_SIZE
    #: Seated room: the seed of the room's look (the background colour), one per session,
    #: since a fixed camera films the same wall in every frame; None in the "rows" room.
    room_seed: int | None = None


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
    room: str = "rows"

    @property
    def frame_size(self) -> tuple[int, int]:
        return ROOM_SIZE if self.room == "seats" else FRAME_SIZE


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
    room: str = "rows",
) -> ClassroomPlan:
    """Script ``sessions`` sessions over ``ceil(sessions / sessions_per_course)`` courses
    with disjoint rosters in ``room`` (:data:`ROOMS`). Raises ValueError when the cohort is
    too small or the seated room has too few seats."""
    if sessions < 1 or roster_size < 1 or frames_per_session < 1:
        raise ValueError("sessions, roster size and frames per session must be at least 1")
    if room not in ROOMS:
        raise ValueError(f"unknown room {room!r}; valid: {', '.join(ROOMS)}")
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
    if room == "seats":
        seats = classroom_seats(np.random.default_rng([seed, 7]))
        if len(seats) < roster_size + walk_ins:
            raise ValueError(f"the seated room has {len(seats)} seats; a roster of "
                             f"{roster_size} and {walk_ins} walk-ins need more")
        plans = [
            _plan_seated_session(s, courses[s % n_courses], strangers, frame_photos, by_name,
                                 rng, seats, frames_per_session, walk_ins, attend_rate, seed)
            for s in range(sessions)
        ]
    else:
        plans = [
            _plan_session(s, courses[s % n_courses], strangers, frame_photos, by_name, rng,
                          frames_per_session, walk_ins, attend_rate, seed)
            for s in range(sessions)
        ]
    return ClassroomPlan(seed, tuple(courses), tuple(plans), room)


def _who_comes(
    course: CoursePlan, strangers: Sequence[Person], rng: np.random.Generator, walk_ins: int,
    attend_rate: float,
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(attending, absent, walk-ins) of one session, drawn from ``rng`` in a fixed order."""
    attends = rng.random(len(course.roster)) < attend_rate
    attending = tuple(n for n, a in zip(course.roster, attends, strict=True) if a)
    absent = tuple(n for n, a in zip(course.roster, attends, strict=True) if not a)
    visitors = tuple(strangers[int(i)].name
                     for i in rng.choice(len(strangers), size=min(walk_ins, len(strangers)),
                                         replace=False)) if strangers else ()
    return attending, absent, visitors


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
    attending, absent, visitors = _who_comes(course, strangers, rng, walk_ins, attend_rate)
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


def _plan_seated_session(
    index: int,
    course: CoursePlan,
    strangers: Sequence[Person],
    frame_photos: dict[str, tuple[Path, ...]],
    by_name: dict[str, Person],
    rng: np.random.Generator,
    seats: Sequence[Seat],
    frames: int,
    walk_ins: int,
    attend_rate: float,
    seed: int,
) -> SessionPlan:
    """A session of the seated room (see the module docstring)."""
    attending, absent, visitors = _who_comes(course, strangers, rng, walk_ins, attend_rate)
    order = [seats[int(i)] for i in rng.permutation(len(seats))]
    seat_of = dict(zip(course.roster, order, strict=False))
    free = order[len(course.roster):]
    shown: dict[str, list[int]] = {}
    for name in attending:
        count = int(rng.integers(min(2, frames), frames + 1))
        shown[name] = sorted(int(i) for i in rng.choice(frames, size=count, replace=False))
    for k, name in enumerate(visitors):
        count = int(rng.integers(1, min(3, frames) + 1))
        # Every other walk-in takes the seat of a student right after the student was there.
        host = next((n for n in rng.permutation(list(attending)) if len(shown[n]) < frames),
                    None) if k % 2 == 0 and attending else None
        if host is None:
            seat_of[name] = free[k % len(free)]
            shown[name] = sorted(int(i) for i in rng.choice(frames, size=count, replace=False))
            continue
        seat_of[name] = seat_of[str(host)]
        empty = [f for f in range(frames) if f not in shown[str(host)]]
        empty.sort(key=lambda f: (f - 1 not in shown[str(host)], f))
        shown[name] = sorted(empty[:count])
    slots: list[list[Appearance]] = [[] for _ in range(frames)]
    for name, frame_list in shown.items():
        photos = frame_photos.get(name) or by_name[name].photos
        photo = photos[int(rng.integers(len(photos)))]
        gain, blur = float(rng.uniform(0.75, 1.25)), float(rng.uniform(0.0, 1.0))
        seat = seat_of[name]
        for f in frame_list:
            if rng.random() < POSE_CHANGE:
                photo = photos[int(rng.integers(len(photos)))]
            x, y, face_height = moved(seat, rng)
            slots[f].append(Appearance(
                name=name, photo=photo, face_height=face_height,
                gain=gain * float(rng.uniform(0.95, 1.05)),
                blur_sigma=max(0.0, blur + float(rng.normal(0.0, 0.1))),
                x=x, y=y, seat=seat.index))
    frame_plans = tuple(
        FramePlan(f, tuple(slots[f]), int(np.random.SeedSequence([seed, index, f])
                                           .generate_state(1)[0]), ROOM_SIZE,
                  int(np.random.SeedSequence([seed, index]).generate_state(1)[0]))
        for f in range(frames)
    )
    return SessionPlan(index, course.index, attending, absent, visitors, frame_plans)


__all__ = [
    "ROOMS",
    "Appearance",
    "ClassroomPlan",
    "CoursePlan",
    "FramePlan",
    "SessionPlan",
    "plan_classroom",
]
