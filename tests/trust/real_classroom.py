"""The simulated classroom of :mod:`.worker_sim` with real faces: the six students are LFW
people enrolled with their dlib embeddings, and the camera shows, in each frame, another
photo of every student ``visible(now)`` says is in the room (plus a stranger for a while).
The worker runs the real detector and model on these frames; nothing knows the truth.
"""

from __future__ import annotations

from datetime import datetime

import cv2
import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session, sessionmaker

from attendance.db import FaceEmbedding, FacePhoto, vector_to_bytes
from attendance.detection import detect_faces, face_inputs
from attendance.worker import Clock
from models import Embedder
from tests.lfw_faces import LfwFaces

from .worker_sim import START, Room, Visibility

#: The students of :func:`.worker_sim.kill_truth`, in order, as LFW people.
STUDENTS = ("George_W_Bush", "Colin_Powell", "Tony_Blair", "Donald_Rumsfeld",
            "Gerhard_Schroeder", "Ariel_Sharon")
#: In the room from minute 25 to 35, never enrolled: must stay an unknown face.
STRANGER = "Jean_Chretien"
ENROLL_PHOTOS = (1, 2)
#: Photos the camera shows (never used for enrollment), one after another.
SCENE_PHOTOS = (3, 4, 5, 6, 7, 8)
PHOTO = 250
GAP = 10
#: Capture interval with real faces: one frame a minute, 60 frames in the hour.
REAL_INTERVAL_S = 60.0


def enroll_real_faces(factory: sessionmaker[Session], room: Room, lfw: LfwFaces,
                      embedder: Embedder) -> None:
    """Store each student's embeddings of their enrollment photos (the students already
    consent: :func:`.worker_sim.make_room`)."""
    with factory.begin() as session:
        for student_id, person in zip(room.students, STUDENTS, strict=True):
            for number in ENROLL_PHOTOS:
                rgb = lfw.rgb(person, number)
                faces = detect_faces(rgb)[:1]
                assert faces, f"no face in {person} {number}"
                vector = embedder.embed(face_inputs(rgb, faces))[0]
                photo = FacePhoto(student_id=student_id, content_hash=f"{person}-{number}",
                                  width=PHOTO, height=PHOTO, face_pixels=100, sharpness=100.0,
                                  brightness=120.0)
                session.add(photo)
                session.flush()
                session.add(FaceEmbedding(student_id=student_id, photo_id=photo.id,
                                          model_name=embedder.name, model_version=embedder.version,
                                          dimension=len(vector), vector=vector_to_bytes(vector)))


class LfwCamera:
    """Factory of frame sources showing the people in the room at the clock's time: up to
    five photos side by side on a noisy background, a different photo of each at every
    minute, so no two frames are alike (and none looks frozen)."""

    description = "LFW classroom"

    def __init__(self, clock: Clock, room: Room, visible: Visibility,
                 lfw: LfwFaces) -> None:
        self.clock, self.room, self.visible, self.lfw = clock, room, visible, lfw
        self._photos: dict[tuple[str, int], NDArray[np.uint8]] = {}
        self.reads = 0

    def __call__(self) -> LfwCamera:
        return self

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def in_room(self, now: datetime) -> list[str]:
        """The people in the picture at ``now``: visible students, and the stranger."""
        names = dict(zip(self.room.students, STUDENTS, strict=True))
        people = [names[s] for s in self.visible(now)]
        minute = (now - START).total_seconds() / 60
        return people + ([STRANGER] if 25 <= minute < 35 else [])

    def read(self) -> NDArray[np.uint8]:
        now = self.clock.now()
        self.reads += 1
        people = self.in_room(now)
        slots = max(1, len(people))
        rng = np.random.default_rng(int(now.timestamp()))
        frame = rng.integers(90, 140, size=(PHOTO + 2 * GAP, slots * (PHOTO + GAP) + GAP, 3),
                             dtype=np.uint8)
        minute = int((now - START).total_seconds() // 60)
        for k, person in enumerate(people):
            number = SCENE_PHOTOS[(minute + k) % len(SCENE_PHOTOS)]
            x = GAP + k * (PHOTO + GAP)
            frame[GAP:GAP + PHOTO, x:x + PHOTO] = self._photo(person, number)
        return frame

    def _photo(self, person: str, number: int) -> NDArray[np.uint8]:
        key = (person, number)
        if key not in self._photos:
            rgb = self.lfw.rgb(person, number)
            self._photos[key] = np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), np.uint8)
        return self._photos[key]
