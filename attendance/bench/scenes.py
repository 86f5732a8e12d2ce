"""Classroom scenes: many LFW faces pasted at classroom sizes into one 1280x720 frame.

A deep-funneled LFW image is 250x250 px with the face near the centre. dlib's HOG detector
finds its face, on average, at (top, right, bottom, left) = :data:`LFW_FACE_BOX` (the median
over 40 images; spread about 7 px), so a face pasted at scale ``s`` has that box times ``s``
as its ground truth. Each face is cut out with a margin (:data:`LFW_CROP`), resized so the
face box is the requested height, varied in brightness and blur, and pasted with feathered
edges onto a plain, noisy background. Faces are packed into rows (shelves), smaller faces at
the back (top), like seats seen from the front of a classroom.

Everything random comes from the ``numpy.random.Generator`` passed in: the same seed gives
byte-identical frames.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
from numpy.typing import NDArray

#: Median HOG face box of a 250x250 deep-funneled LFW image: (top, right, bottom, left), px.
LFW_FACE_BOX = (89, 181, 185, 77)
#: The square cut from the LFW image around that box: (top, left, side), px.
LFW_CROP = (52, 44, 170)
#: Default frame size (width, height), px.
FRAME_SIZE = (1280, 720)
#: Free space kept between neighbouring tiles of a row, as a fraction of the tile.
_GAP = 0.04
#: Rows are this fraction of their tallest tile apart: a tile's margin below the face (22%
#: of the tile) may lie under the next row's top margin, never under its face.
_ROW_PITCH = 0.8
Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class FaceSpec:
    """One face to paste: an (250, 250, 3) uint8 RGB LFW image, the wanted face height (px,
    the height of the detector's box), the person's label, brightness gain (1 = unchanged)
    and Gaussian blur sigma (px in the pasted tile; 0 = sharp)."""

    image: NDArray[np.uint8]
    face_height: float
    label: str
    gain: float = 1.0
    blur_sigma: float = 0.0


@dataclass(frozen=True)
class PlacedFace:
    """A pasted face: its label and ground-truth box (top, right, bottom, left) in the frame."""

    label: str
    box: Box

    @property
    def height(self) -> int:
        """Height of the ground-truth box, px."""
        return self.box[2] - self.box[0]


@dataclass(frozen=True, eq=False)
class Scene:
    """A composed RGB frame (H, W, 3 uint8) and the faces in it."""

    frame: NDArray[np.uint8]
    faces: tuple[PlacedFace, ...]


def tile_side(face_height: float) -> int:
    """Side (px) of the square tile holding a face whose box is ``face_height`` px high."""
    box_height = LFW_FACE_BOX[2] - LFW_FACE_BOX[0]
    return max(8, round(face_height * LFW_CROP[2] / box_height))


def compose_scene(
    faces: Sequence[FaceSpec],
    rng: np.random.Generator,
    size: tuple[int, int] = FRAME_SIZE,
    *,
    noise_sigma: float = 4.0,
) -> Scene:
    """Paste ``faces`` into a frame of ``size`` (width, height) px.

    Faces keep their requested heights when they fit; when they do not, all of them are
    shrunk by the same factor until they do (so callers should check
    :attr:`PlacedFace.height`). ``noise_sigma`` is the background's Gaussian noise (grey
    levels). Raises ValueError for an empty image or a frame too small for one face.
    """
    width, height = size
    scale = 1.0
    while True:
        sides = [tile_side(f.face_height * scale) for f in faces]
        layout = _shelf_layout(sides, width, height, rng)
        if layout is not None:
            break
        scale *= 0.95
        if scale < 0.2:
            raise ValueError(f"{len(faces)} faces do not fit a {width}x{height} frame")
    frame = _background(width, height, rng, noise_sigma)
    placed: list[PlacedFace] = []
    # Back rows (small faces, top of the frame) first, so nearer tiles overlap farther ones.
    for index in sorted(range(len(faces)), key=lambda i: layout[i][1]):
        spec, side, (x, y) = faces[index], sides[index], layout[index]
        _paste(frame, _tile(spec, side), x, y)
        placed.append(PlacedFace(spec.label, _face_box(x, y, side, width, height)))
    placed.sort(key=lambda p: (p.box[0], p.box[3]))
    return Scene(frame, tuple(placed))


def compose_at(
    faces: Sequence[tuple[FaceSpec, float, float]],
    rng: np.random.Generator,
    size: tuple[int, int] = FRAME_SIZE,
    *,
    noise_sigma: float = 4.0,
    background: np.random.Generator | None = None,
) -> Scene:
    """Paste each ``(face, x, y)`` with its face box centred on (``x``, ``y``) px, in a frame
    of ``size`` (width, height): the seated classroom of :mod:`.seating`. Faces lower in the
    frame (nearer the camera) are pasted last, over the margins of those behind them. Tiles
    reaching past the frame's edge are cut off. ``background`` (default ``rng``) draws the
    background's colour, so frames of one fixed camera can share it."""
    width, height = size
    frame = _background(width, height, rng, noise_sigma, background)
    top0, left0, crop = LFW_CROP
    box_top, box_right, box_bottom, box_left = LFW_FACE_BOX
    placed: list[PlacedFace] = []
    for spec, x, y in sorted(faces, key=lambda f: f[2]):
        side = tile_side(spec.face_height)
        s = side / crop
        # The tile corner that puts the face box's centre on (x, y).
        tx = round(x - ((box_left + box_right) / 2 - left0) * s)
        ty = round(y - ((box_top + box_bottom) / 2 - top0) * s)
        _paste_clipped(frame, _tile(spec, side), tx, ty)
        placed.append(PlacedFace(spec.label, _face_box(tx, ty, side, width, height)))
    placed.sort(key=lambda p: (p.box[0], p.box[3]))
    return Scene(frame, tuple(placed))


def _shelf_layout(
    sides: Sequence[int], width: int, height: int, rng: np.random.Generator
) -> list[tuple[int, int]] | None:
    """Top-left corners (x, y) per tile, rows filled smallest first; None if they overflow."""
    order = sorted(range(len(sides)), key=lambda i: (sides[i], i))
    corners: dict[int, tuple[int, int]] = {}
    rows: list[list[int]] = [[]]
    used = 0
    for i in order:
        need = sides[i] + round(_GAP * sides[i])
        if rows[-1] and used + need > width:
            rows.append([])
            used = 0
        if need > width:
            return None
        rows[-1].append(i)
        used += need
    pitches = [round(max(sides[i] for i in row) * _ROW_PITCH) for row in rows]
    total_height = sum(pitches[:-1]) + max(sides[i] for i in rows[-1])
    if total_height > height:
        return None
    spare_y = height - total_height
    y = int(rng.integers(0, spare_y // (len(rows) + 1) + 1))
    for row, pitch in zip(rows, pitches, strict=True):
        row_height = max(sides[i] for i in row)
        row_width = sum(sides[i] + round(_GAP * sides[i]) for i in row)
        x = int(rng.integers(0, width - row_width + 1))
        for i in rng.permutation(row):
            jitter = int(rng.integers(0, row_height - sides[int(i)] + 1))
            corners[int(i)] = (x, y + jitter)
            x += sides[int(i)] + round(_GAP * sides[int(i)])
        y += pitch + spare_y // (len(rows) + 1)
    return [corners[i] for i in range(len(sides))]


def _background(
    width: int, height: int, rng: np.random.Generator, noise_sigma: float,
    colour: np.random.Generator | None = None,
) -> NDArray[np.uint8]:
    """A plain colour (drawn from ``colour``, default ``rng``) with a soft vertical gradient
    and Gaussian noise."""
    base = (colour or rng).uniform(60, 190, size=3)
    ramp = np.linspace(-20.0, 20.0, height)[:, None, None]
    noise = rng.normal(0.0, noise_sigma, size=(height, width, 3))
    pixels = base[None, None, :] + ramp + noise
    return np.clip(pixels, 0, 255).astype(np.uint8)


def _tile(spec: FaceSpec, side: int) -> NDArray[np.float32]:
    """The face crop resized to ``side`` px, with gain and blur applied (float 0-255)."""
    import cv2  # noqa: PLC0415 - heavy import, only when composing scenes

    image = np.asarray(spec.image)
    if image.shape[:2] != (250, 250) or image.ndim != 3:
        raise ValueError(f"expected a 250x250 RGB LFW image, got {image.shape}")
    top, left, crop = LFW_CROP
    cut = np.ascontiguousarray(image[top:top + crop, left:left + crop])
    interpolation = cv2.INTER_AREA if side < crop else cv2.INTER_LINEAR
    tile = cv2.resize(cut, (side, side), interpolation=interpolation)
    if spec.blur_sigma > 0:
        tile = cv2.GaussianBlur(tile, (0, 0), spec.blur_sigma)
    pixels: NDArray[np.float32] = np.asarray(tile, dtype=np.float32)
    result: NDArray[np.float32] = np.clip(pixels * np.float32(spec.gain), 0, 255)
    return result


@cache
def _feather(side: int) -> NDArray[np.float32]:
    """(side, side, 1) alpha mask: 1 inside, falling smoothly to 0 over the outer 12%."""
    edge = np.minimum(np.arange(side), np.arange(side)[::-1]).astype(np.float32)
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.clip(edge / (0.12 * side), 0.0, 1.0))
    mask: NDArray[np.float32] = np.minimum(ramp[:, None], ramp[None, :]).astype(np.float32)
    return mask[:, :, None]


def _paste(frame: NDArray[np.uint8], tile: NDArray[np.float32], x: int, y: int) -> None:
    side = tile.shape[0]
    region = frame[y:y + side, x:x + side].astype(np.float32)
    alpha = _feather(side)
    frame[y:y + side, x:x + side] = np.clip(alpha * tile + (1 - alpha) * region + 0.5,
                                            0, 255).astype(np.uint8)


def _paste_clipped(frame: NDArray[np.uint8], tile: NDArray[np.float32], x: int,
                   y: int) -> None:
    """:func:`_paste` for a tile that may reach past the frame's edges."""
    height, width = frame.shape[:2]
    side = tile.shape[0]
    top, left = max(0, y), max(0, x)
    bottom, right = min(height, y + side), min(width, x + side)
    if bottom <= top or right <= left:
        return
    part = tile[top - y:bottom - y, left - x:right - x]
    alpha = _feather(side)[top - y:bottom - y, left - x:right - x]
    region = frame[top:bottom, left:right].astype(np.float32)
    frame[top:bottom, left:right] = np.clip(alpha * part + (1 - alpha) * region + 0.5,
                                            0, 255).astype(np.uint8)


def _face_box(x: int, y: int, side: int, width: int, height: int) -> Box:
    """The face's ground-truth box in the frame for a tile at (x, y), clipped to the frame."""
    top0, left0, crop = LFW_CROP
    s = side / crop
    top, right, bottom, left = LFW_FACE_BOX
    return (
        max(0, min(height, round(y + (top - top0) * s))),
        max(0, min(width, round(x + (right - left0) * s))),
        max(0, min(height, round(y + (bottom - top0) * s))),
        max(0, min(width, round(x + (left - left0) * s))),
    )


__all__ = ["FRAME_SIZE", "FaceSpec", "PlacedFace", "Scene", "compose_at", "compose_scene",
           "tile_side"]
