"""Benchmarks of the whole pipeline on simulated classrooms, and speed figures."""

from .classroom import ClassroomResult as ClassroomResult
from .classroom import run_classroom as run_classroom
from .cohort import Cohort as Cohort
from .cohort import Person as Person
from .metrics import AttendanceCounts as AttendanceCounts
from .metrics import det_points as det_points
from .metrics import fnir_at_fpir as fnir_at_fpir
from .plan import plan_classroom as plan_classroom
from .scenes import FaceSpec as FaceSpec
from .scenes import compose_scene as compose_scene
