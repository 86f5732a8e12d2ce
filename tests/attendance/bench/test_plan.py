"""The classroom plan: reproducible, disjoint rosters, enrollment photos kept out of frames."""

from __future__ import annotations

from pathlib import Path

import pytest

from attendance.bench.cohort import Cohort, Person
from attendance.bench.plan import plan_classroom


def _cohort(students: int = 8, walk_ins: int = 5) -> Cohort:
    def person(name: str, photos: int) -> Person:
        return Person(name, tuple(Path(f"/lfw/{name}/{name}_{i:04d}.jpg")
                                  for i in range(1, photos + 1)))

    return Cohort(tuple(person(f"S{i}", 4 + i % 3) for i in range(students)),
                  tuple(person(f"W{i}", 1 + i % 3) for i in range(walk_ins)))


def test_the_same_seed_gives_the_same_plan() -> None:
    a = plan_classroom(_cohort(), sessions=4, roster_size=4, sessions_per_course=2, seed=3)
    b = plan_classroom(_cohort(), sessions=4, roster_size=4, sessions_per_course=2, seed=3)
    c = plan_classroom(_cohort(), sessions=4, roster_size=4, sessions_per_course=2, seed=4)
    assert a == b
    assert a != c


def test_plan_shape() -> None:
    plan = plan_classroom(_cohort(), sessions=4, roster_size=4, sessions_per_course=2,
                          frames_per_session=4, walk_ins=2, seed=0)
    assert len(plan.courses) == 2
    assert not set(plan.courses[0].roster) & set(plan.courses[1].roster)
    for s in plan.sessions:
        course = plan.courses[s.course]
        assert set(s.attending) | set(s.absent) == set(course.roster)
        assert not set(s.walk_ins) & set(course.roster)
        appearances = [a for f in s.frames for a in f.appearances]
        for name in s.attending:
            mine = [a for a in appearances if a.name == name]
            assert len(mine) >= 2
            assert not {a.photo for a in mine} & set(course.enroll_photos[name])
        assert not {a.name for a in appearances} & set(s.absent)
        assert all(60 <= a.face_height <= 150 for a in appearances)
    for course in plan.courses:
        assert all(1 <= len(p) <= 3 for p in course.enroll_photos.values())


def test_too_small_a_cohort_is_refused() -> None:
    with pytest.raises(ValueError, match="need 30 students"):
        plan_classroom(_cohort(students=8), sessions=1, roster_size=30)


def test_seated_room_keeps_seats_and_moves_little() -> None:
    plan = plan_classroom(_cohort(students=10, walk_ins=6), sessions=2, roster_size=8,
                          sessions_per_course=2, frames_per_session=6, walk_ins=2, seed=5,
                          room="seats")
    assert plan.frame_size == (1920, 1080)
    for s in plan.sessions:
        course = plan.courses[s.course]
        seats: dict[str, set[int | None]] = {}
        for frame in s.frames:
            assert frame.size == (1920, 1080)
            assert frame.room_seed is not None
            assert len({a.seat for a in frame.appearances}) == len(frame.appearances)
            for a in frame.appearances:
                seats.setdefault(a.name, set()).add(a.seat)
                assert a.x is not None
                assert a.y is not None
                assert 25 <= a.face_height <= 170
        assert all(len(v) == 1 for v in seats.values())  # one seat each, all session
        for name in s.attending:
            mine = [a for f in s.frames for a in f.appearances if a.name == name]
            assert len(mine) >= 2
            assert not {a.photo for a in mine} & set(course.enroll_photos[name])
            xs = [a.x for a in mine if a.x is not None]
            assert max(xs) - min(xs) < 0.5 * max(a.face_height for a in mine)
    with pytest.raises(ValueError, match="unknown room"):
        plan_classroom(_cohort(), sessions=1, roster_size=4, room="hall")
