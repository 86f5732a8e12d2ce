"""Safe decoding of uploaded photos into RGB pixels.

Uploaded bytes are untrusted. The checks run from cheapest to dearest: the byte size before
anything is parsed, the format (only a short allow-list of Pillow plugins may even look at the
data), the pixel count from the header before any pixel is decoded (decompression bombs), then
a full decode in which a truncated or corrupt file is refused (``ImageFile.LOAD_TRUNCATED_IMAGES``
stays off). The result is turned upright by its EXIF orientation and converted to 8-bit RGB,
scaling 16-bit samples rather than clipping them.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from attendance.sizes import file_size

from .errors import PhotoRejected

logger = logging.getLogger(__name__)

#: Pillow plugins allowed to read uploads. The JPEG plugin also opens MPO, the multi-picture
#: JPEG some phone cameras write (the first picture is used).
ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "BMP", "TIFF", "GIF")
_FORMAT_NAMES = "JPEG, PNG, WebP, BMP, TIFF or GIF"


@dataclass(frozen=True, eq=False)
class DecodedImage:
    """An upright photo: ``pixels`` is a C-contiguous (H, W, 3) uint8 RGB array."""

    pixels: NDArray[np.uint8]
    #: Pillow's name of the file format, e.g. ``"JPEG"``.
    format: str

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])


def decode_image(data: bytes, *, filename: str, max_bytes: int, max_pixels: int) -> DecodedImage:
    """Decode ``data`` (the content of ``filename``) or raise :class:`PhotoRejected`.

    ``max_bytes`` limits the file size in bytes, ``max_pixels`` the width x height read from
    the header. ``filename`` is used in messages only, never to choose a decoder.
    """
    if not data:
        raise PhotoRejected("empty", "%(filename)s: the file is empty", filename=filename)
    if len(data) > max_bytes:
        raise PhotoRejected(
            "too_large",
            "%(filename)s: the file is larger than the limit of %(limit)s (setting "
            "max_image_bytes); send a smaller photo", filename=filename, limit=file_size(max_bytes),
        )
    # Pillow's own guard warns above Image.MAX_IMAGE_PIXELS and fails above twice that; both
    # are refusals here. Our limit (usually lower) is checked from the header just below.
    Image.init()  # registers every plugin (idempotent); ``formats`` then narrows them down
    # face_recognition sets this process-wide flag to True when it is imported; truncated
    # uploads must fail, so it is forced back to Pillow's default before every decode.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        image = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels(filename, max_pixels, str(exc)) from exc
    except UnidentifiedImageError as exc:
        raise PhotoRejected("not_an_image", "%(filename)s: not a %(formats)s image",
                            filename=filename, formats=_FORMAT_NAMES) from exc
    except Exception as exc:  # Pillow raises many types on malformed headers
        raise PhotoRejected("corrupt", "%(filename)s: the image header is damaged",
                            filename=filename) from exc
    with image:
        width, height = image.size
        if width * height > max_pixels:
            raise _too_many_pixels(filename, max_pixels, f"{width}x{height} pixels")
        try:
            image.load()
            upright = ImageOps.exif_transpose(image)
            pixels = _to_rgb8(upright)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_many_pixels(filename, max_pixels, str(exc)) from exc
        except Exception as exc:  # truncated data, bad EXIF, broken codec streams
            logger.debug("decoding %s failed: %r", filename, exc)
            raise PhotoRejected(
                "corrupt",
                "%(filename)s: the image is truncated or damaged and cannot be decoded",
                filename=filename,
            ) from exc
        fmt = str(image.format)
    return DecodedImage(pixels=pixels, format=fmt)


def _too_many_pixels(filename: str, max_pixels: int, detail: str) -> PhotoRejected:
    return PhotoRejected(
        "too_many_pixels",
        "%(filename)s: the image is too large (%(detail)s); at most %(max_pixels)s pixels are "
        "accepted", filename=filename, detail=detail, max_pixels=format(max_pixels, ","),
    )


def _to_rgb8(image: Image.Image) -> NDArray[np.uint8]:
    """Any Pillow mode as 8-bit RGB; 16-bit and 32-bit grey are scaled, not clipped."""
    mode = image.mode
    if mode.startswith("I;16") or mode == "I":
        values = np.asarray(image).astype(np.float64)
        # "I" holds 16-bit grey when it came from a 16-bit file; plain 8-bit data stays as is.
        full_scale = 65535.0 if mode != "I" or values.max(initial=0) > 255 else 255.0
        grey = np.clip(np.rint(values * (255.0 / full_scale)), 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2))
    if mode == "F":
        values = np.asarray(image, dtype=np.float64)
        scale = 255.0 if values.max(initial=0) <= 1.0 else 1.0
        grey = np.clip(np.rint(values * scale), 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2))
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or (mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
    return np.ascontiguousarray(rgb)


__all__ = ["ALLOWED_FORMATS", "DecodedImage", "decode_image"]
