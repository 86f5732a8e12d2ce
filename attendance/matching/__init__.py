"""Matching faces against a course roster: gallery, open-set identification, fusion."""

from .calibration import fuses as fuses
from .calibration import fusion_for as fusion_for
from .fused import FUSED_KEY as FUSED_KEY
from .fused import FusedMatch as FusedMatch
from .fusion import Decision as Decision
from .fusion import decide_faces as decide_faces
from .fusion import fuse as fuse
from .identify import ModelMatch as ModelMatch
from .identify import identify as identify
from .identify import student_distances as student_distances
from .roster import Gallery as Gallery
from .roster import load_gallery as load_gallery
