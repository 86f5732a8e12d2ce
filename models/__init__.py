"""Face-embedding models. Importing this package loads no model and no heavy library."""

from .errors import DatasetNotFoundError as DatasetNotFoundError
from .errors import ModelError as ModelError
from .errors import ModelLoadError as ModelLoadError
from .loading import EMBEDDER_NAMES as EMBEDDER_NAMES
from .loading import load_embedders as load_embedders
from .protocol import Box as Box
from .protocol import Embedder as Embedder
from .protocol import FaceInput as FaceInput
