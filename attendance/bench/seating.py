"""A classroom seen from the front: rows of seats, small faces at the back, people who stay put.

The camera hangs at the front of the room, so the back row is at the top of a 1920x1080 frame
with faces 30-60 px high, and every row nearer the camera shows larger faces, down to the
front row's 115-150 px (:data:`ROW_FACE_PX`). Rows are spaced so that no pasted tile covers a
face behind it. A student keeps their seat for the whole session and moves only a little from
frame to frame (:func:`moved`): the face's centre shifts by a few per cent of its height and
its size changes by about 3 %, as a seated person's does between two captures a few seconds
apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Frame size of the seated classroom (width, height), px.
ROOM_SIZE = (1920, 1080)
#: Face heights (px, lowest and highest) of each row's seats, back row (top) first.
ROW_FACE_PX = ((30.0, 60.0), (50.0, 75.0), (70.0, 95.0), (90.0, 120.0), (115.0, 150.0))
SEATS_PER_ROW = 8
#: Share of the frame's width the back row and the front row span (perspective).
ROW_SPAN = (0.6, 0.95)
#: Between two frames a seated face's centre moves by this share of its height (standard
#: deviation, each axis), and its height changes by this share.
MOVE_SHARE, SCALE_SHARE = 0.04, 0.03


@dataclass(frozen=True)
class Seat:
    """One seat: where the face of whoever sits there is centred (``x``, ``y``, px) and how
    high it is (``face_height``, px) when they sit still; ``row`` 0 is the back row."""

    index: int
    row: int
    x: float
    y: float
    face_height: float


def classroom_seats(
    rng: np.random.Generator,
    size: tuple[int, int] = ROOM_SIZE,
    rows: tuple[tuple[float, float], ...] = ROW_FACE_PX,
    per_row: int = SEATS_PER_ROW,
) -> tuple[Seat, ...]:
    """The seats of one room, back row first, left to right in each row."""
    width, height = size
    # A face of height h sits in a tile of 1.77 h centred on it; the next row's tile (minus
    # its feathered edge) must start below this row's face: centres at least
    # 0.5 h_back + 0.673 h_front apart. Spare height spreads the rows further apart.
    steps = [0.5 * back[1] + 0.673 * front[1] for back, front in zip(rows, rows[1:], strict=False)]
    first = 0.17 * height
    last_bottom = 0.885 * rows[-1][1]
    stretch = max(1.0, (0.97 * height - last_bottom - first) / max(1.0, sum(steps)))
    centres = [first + stretch * sum(steps[:r]) for r in range(len(rows))]
    seats: list[Seat] = []
    for r, ((low, high), y) in enumerate(zip(rows, centres, strict=True)):
        share = ROW_SPAN[0] + (ROW_SPAN[1] - ROW_SPAN[0]) * r / max(1, len(rows) - 1)
        pitch = width * share / per_row
        left = (width - width * share) / 2 + pitch / 2
        for k in range(per_row):
            x = left + pitch * (k + float(rng.uniform(-0.08, 0.08)))
            seats.append(Seat(len(seats), r, x, y + float(rng.uniform(-0.03, 0.03)) * high,
                              float(rng.uniform(low, high))))
    return tuple(seats)


def moved(seat: Seat, rng: np.random.Generator) -> tuple[float, float, float]:
    """Where the face of the person in ``seat`` is in one frame: (x, y, face height), px."""
    dx, dy = rng.normal(0.0, MOVE_SHARE * seat.face_height, size=2)
    scale = 1.0 + float(rng.normal(0.0, SCALE_SHARE))
    return seat.x + float(dx), seat.y + float(dy), seat.face_height * scale


__all__ = ["ROOM_SIZE", "ROW_FACE_PX", "Seat", "classroom_seats", "moved"]
