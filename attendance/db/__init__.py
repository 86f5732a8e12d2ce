"""Database: engine, session factory and the ORM tables (the schema's source of truth)."""

from . import audit_guard as audit_guard  # registers the audit log's append-only triggers
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
from .checkin import CheckinCode as CheckinCode
from .consent import Consent as Consent
from .consent import ConsentCourse as ConsentCourse
from .consent import Relation as Relation
from .consent import consent_covers as consent_covers
from .courses import Camera as Camera
from .courses import CameraTeacher as CameraTeacher
from .courses import Course as Course
from .courses import CourseSchedule as CourseSchedule
from .courses import Enrollment as Enrollment
from .engine import ReadOnlySessionError as ReadOnlySessionError
from .engine import make_engine as make_engine
from .engine import make_session_factory as make_session_factory
from .engine import read_only_factory as read_only_factory
from .people import FaceEmbedding as FaceEmbedding
from .people import FacePhoto as FacePhoto
from .people import Student as Student
from .sessions import ClassSession as ClassSession
from .users import AuditLog as AuditLog
from .users import Role as Role
from .users import User as User
