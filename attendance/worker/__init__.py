"""The classroom camera worker: capture, recognise, record; scheduled with APScheduler 3.x."""

from .camera_worker import CameraWorker as CameraWorker
from .camera_worker import TickReport as TickReport
from .clock import Clock as Clock
from .clock import FakeClock as FakeClock
from .clock import SystemClock as SystemClock
from .frames import CameraSupervisor as CameraSupervisor
from .frames import FrameSource as FrameSource
from .frames import OpenCvFrameSource as OpenCvFrameSource
from .runner import run_worker as run_worker
from .runner import start_worker_processes as start_worker_processes
from .scheduler import build_scheduler as build_scheduler
from .session_run import RunSummary as RunSummary
from .session_run import run_class_session as run_class_session
from .supervisor import WorkerState as WorkerState
from .supervisor import WorkerSupervisor as WorkerSupervisor
from .tracking import FaceTracker as FaceTracker
from .tracking import TrackingPolicy as TrackingPolicy
from .tracking import inherited_from as inherited_from
from .video_file import VideoFileSource as VideoFileSource
