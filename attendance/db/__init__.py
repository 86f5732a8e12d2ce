"""Database: engine, session factory and the ORM tables (the schema's source of truth)."""

from .attendance import AttendanceRecord as AttendanceRecord
from .attendance import ReviewDecision as ReviewDecision
from .attendance import Sighting as Sighting
from .attendance import Source as Source
from .attendance import Status as Status
from .attendance import Verdict as Verdict
from .base import Base as Base
from .base import utcnow as utcnow
from .base import vector_from_bytes as vector_from_bytes
from .base import vector_to_bytes as vector_to_bytes
from .courses import Camera as Camera
from .courses import Course as Course
from .courses import CourseSchedule as CourseSchedule
from .courses import Enrollment as Enrollment
from .engine import make_engine as make_engine
from .engine import make_session_factory as make_session_factory
from .people import FaceEmbedding as FaceEmbedding
from .people import FacePhoto as FacePhoto
from .people import Student as Student
from .sessions import ClassSession as ClassSession
from .users import AuditLog as AuditLog
from .users import Role as Role
from .users import User as User
