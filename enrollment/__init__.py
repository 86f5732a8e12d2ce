"""Enrollment: turning photos into an enrolled student. Callers use only these names."""

from .decoding import DecodedImage as DecodedImage
from .decoding import decode_image as decode_image
from .errors import AlreadyEnrolled as AlreadyEnrolled
from .errors import PhotoRejected as PhotoRejected
from .folder import FolderPlan as FolderPlan
from .folder import FolderSummary as FolderSummary
from .folder import StudentBatch as StudentBatch
from .folder import enroll_folder as enroll_folder
from .folder import plan_folder as plan_folder
from .lookalikes import LookAlike as LookAlike
from .permissions import Mode as Mode
from .quality import QualityReport as QualityReport
from .request import EnrollmentRequest as EnrollmentRequest
from .request import PhotoUpload as PhotoUpload
from .result import EnrollmentResult as EnrollmentResult
from .result import Outcome as Outcome
from .result import PhotoOutcome as PhotoOutcome
from .service import EnrollmentContext as EnrollmentContext
from .service import PreparedEnrollment as PreparedEnrollment
from .service import enroll_student as enroll_student
from .service import prepare_enrollment as prepare_enrollment
from .service import read_enrollment_context as read_enrollment_context
from .service import store_enrollment as store_enrollment
from .storage import read_photo as read_photo
