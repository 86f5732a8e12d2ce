"""Face-embedding models. Importing this package loads no model and no heavy library."""

from .protocol import Box as Box
from .protocol import Embedder as Embedder
from .protocol import FaceInput as FaceInput
