"""Run by ``test_thread_safety``: the app's model paths from many threads at once.

``python -m tests.models.hammer PHOTO...`` detects, landmarks and embeds (dlib and the
in-house CNN) every photo once on one thread, then again from 8 threads at once, several
rounds, and exits 0 only when every threaded result equals the single-thread one. A model
object called from two threads at once can kill the process instead (segmentation fault),
so this runs in a child process of its own.
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from attendance.detection import detect_faces, face_inputs
from models import load_embedders

THREADS = 8
ROUNDS = 3


def main(paths: list[str]) -> int:
    images = [np.ascontiguousarray(Image.open(p).convert("RGB"), dtype=np.uint8)
              for p in paths]
    embedders = load_embedders(["dlib", "inhouse"])

    def work(image: NDArray[np.uint8]) -> list[NDArray[np.float32]]:
        faces = detect_faces(image)[:1]
        inputs = face_inputs(image, faces)
        return [e.embed(inputs) for e in embedders]

    reference = [work(image) for image in images]
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        for _ in range(ROUNDS):
            for got, want in zip(pool.map(work, images), reference, strict=True):
                for a, b in zip(got, want, strict=True):
                    if a.shape != b.shape or not np.allclose(a, b, atol=1e-5):
                        print("threaded result differs from the single-thread one")
                        return 1
    print(f"ok: {len(images)} photos x {ROUNDS} rounds on {THREADS} threads")
    return 0


if __name__ == "__main__":
    sys.exit(main([str(Path(p)) for p in sys.argv[1:]]))
