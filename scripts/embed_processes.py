"""Would spreading one frame's dlib embeddings over both cores pay? A measurement.

Usage: python scripts/embed_processes.py [--lfw-dir DIR] [--cache-dir DIR] [--repeats N]

One 1280x720 frame of 30 LFW faces (the speed benchmark's), embedded with dlib by 1 or 2
cameras at once, each camera with 1 process or a pool of 2 worker processes (each process
loads its own dlib models: nothing is shared between processes, and within a process every
call still goes through ``models.dlib_models``). Prints, per setting, the seconds until every
camera has its 30 embeddings. The figures and the decision are in ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import time
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

Box = tuple[int, int, int, int]


def _frame(lfw_dir: Path, cache_dir: Path) -> tuple[NDArray[np.uint8], list[Box]]:
    from attendance.bench.cohort import cohort_of, images_dir
    from attendance.bench.speed_worker import steady_scenes
    from attendance.detection import detect_faces

    images = images_dir(lfw_dir, cache_dir)
    names = sorted(p.name for p in images.iterdir() if p.is_dir())[:80]
    cohort = cohort_of(images, names)
    people = sorted([*cohort.students, *cohort.walk_ins], key=lambda p: p.name)
    frame = steady_scenes(people, 30, 1, seed=30).scenes[0].frame
    return frame, [f.box for f in detect_faces(frame)]


def _embed(job: tuple[NDArray[np.uint8], list[Box]]) -> NDArray[np.float32]:
    from models.dlib_models import dlib_models

    image, boxes = job
    return dlib_models().encode(image, boxes)


def _warm(_: int) -> None:
    from models.dlib_models import dlib_models

    image = np.zeros((200, 200, 3), np.uint8)
    dlib_models().encode(image, [(50, 150, 150, 50)])


def _camera(result: Connection, image: NDArray[np.uint8], boxes: list[Box], processes: int,
            go: Event) -> None:
    """One camera's worker: embed the frame's faces when told, report the seconds."""
    pool = mp.get_context("spawn").Pool(processes) if processes > 1 else None
    if pool is not None:
        pool.map(_warm, range(2 * processes))
    else:
        _warm(0)
    go.wait()
    began = time.perf_counter()
    if pool is not None:
        parts = [boxes[i::processes] for i in range(processes)]
        pool.map(_embed, [(image, part) for part in parts])
        pool.close()
    else:
        _embed((image, boxes))
    result.send(time.perf_counter() - began)


def _run(cameras: int, processes: int, image: NDArray[np.uint8], boxes: list[Box]) -> float:
    ctx = mp.get_context("spawn")
    go = ctx.Event()
    pipes, workers = [], []
    for _ in range(cameras):
        mine, theirs = ctx.Pipe()
        worker = ctx.Process(target=_camera, args=(theirs, image, boxes, processes, go))
        worker.start()
        pipes.append(mine)
        workers.append(worker)
    time.sleep(10)  # every process has loaded its models
    go.set()
    seconds = max(float(pipe.recv()) for pipe in pipes)
    for worker in workers:
        worker.join()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lfw-dir", type=Path, default=Path("../shared/datasets/lfw"))
    parser.add_argument("--cache-dir", type=Path, default=Path("../cache"))
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    image, boxes = _frame(args.lfw_dir, args.cache_dir)
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(f"{len(boxes)} faces; load average {' '.join(load)}")
    for _ in range(args.repeats):
        for cameras, processes in ((1, 1), (1, 2), (2, 1), (2, 2)):
            seconds = _run(cameras, processes, image, boxes)
            print(f"{cameras} camera(s), {processes} process(es) each: every camera done in "
                  f"{seconds:.2f} s", flush=True)
    print(f"load average {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")


if __name__ == "__main__":
    main()
