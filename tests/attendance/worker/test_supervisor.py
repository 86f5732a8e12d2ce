"""``attendance serve``'s worker processes: started per camera, restarted with backoff when
they die, stopped with the server. Children here are small stand-in processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from attendance.worker import WorkerState, WorkerSupervisor
from attendance.worker.frames import Backoff
from attendance.worker.process import CameraLock, lock_path
from attendance.worker.supervisor import describe_exit

#: A child that runs until told to stop (SIGTERM ends it with code 0).
_SLEEPER = ("import signal, sys, time\n"
            "signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))\n"
            "time.sleep(600)\n")
#: A child that ignores SIGTERM (it creates the file named by its second argument once it does).
_STUBBORN = ("import pathlib, signal, sys, time\n"
             "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
             "pathlib.Path(sys.argv[2]).touch()\n"
             "time.sleep(600)\n")


def _command(code: str) -> Callable[[str], list[str]]:
    return lambda camera: [sys.executable, "-c", code, camera]


def _wait_for(predicate: Callable[[], bool], timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


def _by_camera(supervisor: WorkerSupervisor) -> dict[str, WorkerState]:
    return {s.camera: s for s in supervisor.states()}


@pytest.fixture
def cameras() -> list[str]:
    return ["room-a"]


@pytest.fixture
def supervisor(cameras: list[str]) -> Iterator[WorkerSupervisor]:
    sup = WorkerSupervisor(lambda: list(cameras), command=_command(_SLEEPER), refresh_s=0.2,
                           backoff=Backoff(0.5, 2.0), poll_s=0.05, stop_timeout_s=5.0)
    sup.start()
    yield sup
    sup.stop()


def test_a_child_per_camera_and_new_cameras_are_picked_up(
    supervisor: WorkerSupervisor, cameras: list[str],
) -> None:
    _wait_for(lambda: _by_camera(supervisor).get("room-a", None) is not None
              and _by_camera(supervisor)["room-a"].status == "running")
    cameras.append("room-b")
    _wait_for(lambda: "room-b" in _by_camera(supervisor)
              and _by_camera(supervisor)["room-b"].status == "running")
    states = _by_camera(supervisor)
    assert states["room-a"].pid != states["room-b"].pid
    assert states["room-a"].restarts == 0


def test_a_killed_child_is_restarted_after_a_backoff(supervisor: WorkerSupervisor) -> None:
    _wait_for(lambda: _by_camera(supervisor).get("room-a") is not None
              and _by_camera(supervisor)["room-a"].status == "running")
    first = _by_camera(supervisor)["room-a"].pid
    assert first is not None
    os.kill(first, signal.SIGKILL)
    _wait_for(lambda: _by_camera(supervisor)["room-a"].status == "restarting")
    waiting = _by_camera(supervisor)["room-a"]
    assert waiting.last_exit == "killed by SIGKILL"
    assert waiting.restart_in_s is not None
    assert 0 < waiting.restart_in_s <= 0.5
    _wait_for(lambda: _by_camera(supervisor)["room-a"].status == "running")
    again = _by_camera(supervisor)["room-a"]
    assert again.pid != first
    assert again.restarts == 1
    # A second quick death doubles the wait.
    assert again.pid is not None
    os.kill(again.pid, signal.SIGKILL)
    _wait_for(lambda: _by_camera(supervisor)["room-a"].status == "restarting")
    assert 0.5 < (_by_camera(supervisor)["room-a"].restart_in_s or 0) <= 1.0


def test_stop_ends_every_child_and_kills_one_that_ignores_sigterm(tmp_path: Path) -> None:
    sup = WorkerSupervisor(
        lambda: ["a", "b"], refresh_s=0.2, poll_s=0.05, stop_timeout_s=1.0,
        command=lambda camera: [sys.executable, "-c", _STUBBORN, camera, str(tmp_path / camera)])
    sup.start()
    _wait_for(lambda: (tmp_path / "a").exists() and (tmp_path / "b").exists())
    pids = [s.pid for s in sup.states()]
    started = time.monotonic()
    sup.stop()
    assert time.monotonic() - started < 10
    for state in sup.states():
        assert state.status == "stopped"
        assert state.last_exit == "killed by SIGKILL"
    for pid in pids:
        assert pid is not None
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_failing_camera_list_keeps_the_running_children() -> None:
    calls = {"n": 0}

    def discover() -> list[str]:
        calls["n"] += 1
        if calls["n"] > 1:
            raise OSError("database down")
        return ["a"]

    sup = WorkerSupervisor(discover, command=_command(_SLEEPER), refresh_s=0.05, poll_s=0.05)
    sup.start()
    try:
        _wait_for(lambda: calls["n"] > 3)
        (state,) = sup.states()
        assert state.status == "running"
    finally:
        sup.stop()
    (state,) = sup.states()
    assert (state.status, state.last_exit) == ("stopped", "exited with code 0")


def test_exit_descriptions() -> None:
    assert describe_exit(-9) == "killed by SIGKILL"
    assert describe_exit(3) == "exited with code 3"


def test_worker_priority_is_lowered_never_raised() -> None:
    code = ("from attendance.worker.process import lower_priority\n"
            "import os\nbase = os.nice(0)\n"
            "print(base, lower_priority(base + 3), lower_priority(base + 1), os.nice(0))\n")
    out = [int(v) for v in subprocess.run([sys.executable, "-c", code], capture_output=True,
                                          text=True, check=True).stdout.split()]
    base = out[0]
    if base > 16:
        pytest.skip(f"this test process already runs at niceness {base}")
    assert out[1:] == [base + 3, base + 3, base + 3]


def test_one_worker_per_camera_and_an_orphan_is_asked_to_stop(tmp_path: Path) -> None:

    # A worker whose supervising server is gone (pid 2**22 + 1 does not exist) holds the lock.
    holder_code = (
        "import signal, sys, threading, time\n"
        "from pathlib import Path\n"
        "from attendance.worker.process import CameraLock\n"
        "stop = threading.Event()\n"
        "signal.signal(signal.SIGTERM, lambda *_: stop.set())\n"
        f"lock = CameraLock(Path({str(tmp_path)!r}), 'room', supervisor_pid={2**22 + 1})\n"
        "assert lock.acquire(stop)\n"
        "print('locked', flush=True)\n"
        "stop.wait(60)\n"
        "lock.release()\n"
    )
    with subprocess.Popen([sys.executable, "-c", holder_code], stdout=subprocess.PIPE,
                          text=True) as holder:
        _take_over_from(holder, tmp_path)


def _take_over_from(holder: subprocess.Popen[str], tmp_path: Path) -> None:

    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        assert lock_path(tmp_path, "room").read_text().split()[1] == str(2**22 + 1)
        lock = CameraLock(tmp_path, "room", supervisor_pid=os.getpid())
        assert lock.acquire(threading.Event())  # the orphan stopped and let go
        assert holder.wait(10) == 0
        assert lock_path(tmp_path, "room").read_text().split() == [str(os.getpid()),
                                                                   str(os.getpid())]
        # A live holder is waited for, not stopped.
        second = CameraLock(tmp_path, "room")
        stop = threading.Event()
        threading.Timer(0.5, stop.set).start()
        assert not second.acquire(stop)
        lock.release()
        assert second.acquire(threading.Event())
        second.release()
    finally:
        holder.kill()
        holder.wait()


def test_a_camera_no_longer_discovered_has_its_worker_stopped(
    supervisor: WorkerSupervisor, cameras: list[str],
) -> None:
    """A camera removed, renamed or detached from its courses: its child is stopped, not
    restarted, and a renamed camera gets a child under its new name."""
    _wait_for(lambda: _by_camera(supervisor).get("room-a") is not None
              and _by_camera(supervisor)["room-a"].status == "running")
    pid = _by_camera(supervisor)["room-a"].pid
    assert pid is not None
    cameras[:] = ["room-a2"]  # renamed
    _wait_for(lambda: "room-a" not in _by_camera(supervisor))
    _wait_for(lambda: _by_camera(supervisor).get("room-a2") is not None
              and _by_camera(supervisor)["room-a2"].status == "running")
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # the old child is gone (reaped by the supervisor)
    cameras.clear()  # removed
    _wait_for(lambda: _by_camera(supervisor) == {})
