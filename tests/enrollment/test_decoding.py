"""Safe decoding: every refusal, and the odd-but-valid formats a good face may arrive in."""

from __future__ import annotations

import io
import struct
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from attendance.config import Settings
from enrollment import PhotoRejected, decode_image
from enrollment.quality import assess_photo
from tests.lfw_faces import LfwFaces, encode

pytestmark = pytest.mark.lfw  # (nearly) every test here uses LFW faces

LIMITS = {"max_bytes": 15 * 1024 * 1024, "max_pixels": 40_000_000}


def _decode(data: bytes, name: str = "photo.jpg", **limits: int) -> np.ndarray:
    return decode_image(data, filename=name, **{**LIMITS, **limits}).pixels


def _refused(data: bytes, reason: str, **limits: int) -> PhotoRejected:
    with pytest.raises(PhotoRejected) as caught:
        _decode(data, "upload.jpg", **limits)
    assert caught.value.reason == reason
    assert "upload.jpg" in str(caught.value)
    return caught.value


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` pixels, with a tiny data chunk."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_refusals_of_things_that_are_not_good_images(lfw: LfwFaces) -> None:
    jpeg = lfw.jpeg("George_W_Bush", 1)
    assert "empty" in str(_refused(b"", "empty"))
    assert "not a JPEG" in str(_refused(b"this is a text file\n" * 10, "not_an_image"))
    assert "truncated" in str(_refused(jpeg[: len(jpeg) // 2], "corrupt"))
    assert "larger than" in str(_refused(jpeg, "too_large", max_bytes=len(jpeg) - 1))
    # The limit in words people read, not "15,728,640 bytes".
    limit = str(_refused(b"x" * 1_500_001, "too_large", max_bytes=1_500_000))
    assert "larger than the limit of 1.5 MB (setting max_image_bytes)" in limit
    assert "1,500,000" not in limit
    # An allowed-looking container of a refused format (EPS would start Ghostscript).
    _refused(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n", "not_an_image")


def test_truncated_files_stay_refused_after_face_recognition_is_imported(
    lfw: LfwFaces,
) -> None:
    import face_recognition  # noqa: F401 - its import turns LOAD_TRUNCATED_IMAGES on

    jpeg = lfw.jpeg("Colin_Powell", 1)
    _refused(jpeg[: len(jpeg) * 2 // 3], "corrupt")


def test_decompression_bombs_are_refused_from_the_header() -> None:
    # 50000 x 50000 is beyond Pillow's own guard (it raises before any pixel is read) ...
    error = _refused(_png_header_only(50_000, 50_000), "too_many_pixels")
    assert "at most 40,000,000 pixels" in str(error)
    # ... and 7000 x 7000 is within Pillow's guard but beyond our setting.
    assert "7000x7000" in str(_refused(_png_header_only(7000, 7000), "too_many_pixels"))


def test_plain_jpeg_is_decoded_as_rgb(lfw: LfwFaces) -> None:
    pixels = _decode(lfw.jpeg("George_W_Bush", 1))
    assert pixels.shape == (250, 250, 3)
    assert pixels.dtype == np.uint8
    assert pixels.flags.c_contiguous


def test_cmyk_jpeg_with_a_good_face_is_accepted(lfw: LfwFaces, settings: Settings) -> None:
    original = lfw.rgb("Colin_Powell", 1)
    cmyk = io.BytesIO()
    Image.fromarray(original).convert("CMYK").save(cmyk, format="JPEG", quality=95)
    pixels = _decode(cmyk.getvalue())
    assert pixels.shape == original.shape
    assert np.abs(pixels.astype(int) - original).mean() < 6
    assert assess_photo(pixels, settings, filename="cmyk.jpg").face_pixels >= 60


def test_16_bit_grey_png_is_scaled_not_clipped(lfw: LfwFaces, settings: Settings) -> None:
    grey = cv2.cvtColor(lfw.rgb("Tony_Blair", 1), cv2.COLOR_RGB2GRAY)
    data = encode(grey.astype(np.uint16) * 257, "PNG")
    with Image.open(io.BytesIO(data)) as probe:
        assert probe.mode.startswith("I")  # really a 16-bit file
    pixels = _decode(data, "grey16.png")
    np.testing.assert_array_equal(pixels[:, :, 0], grey)
    assert assess_photo(pixels, settings, filename="grey16.png").face_pixels >= 60


def test_16_bit_rgb_png_is_accepted(lfw: LfwFaces, settings: Settings) -> None:
    rgb = lfw.rgb("Donald_Rumsfeld", 1)
    ok, png = cv2.imencode(".png", rgb[:, :, ::-1].astype(np.uint16) * 257)
    assert ok
    pixels = _decode(png.tobytes(), "rgb16.png")
    assert np.abs(pixels.astype(int) - rgb).max() <= 1
    assess_photo(pixels, settings, filename="rgb16.png")


def test_exif_rotated_photo_is_turned_upright(lfw: LfwFaces, settings: Settings) -> None:
    original = lfw.rgb("Gerhard_Schroeder", 1)
    sideways = Image.fromarray(original).transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display
    buffer = io.BytesIO()
    sideways.save(buffer, format="JPEG", quality=95, exif=exif.tobytes())
    pixels = _decode(buffer.getvalue())
    assert pixels.shape == original.shape
    assert np.abs(pixels.astype(int) - original).mean() < 6
    assess_photo(pixels, settings, filename="rotated.jpg")


@pytest.mark.parametrize("mode", ["L", "P", "RGBA", "LA"])
def test_other_modes_become_rgb(lfw: LfwFaces, mode: str) -> None:
    image = Image.fromarray(lfw.rgb("George_W_Bush", 2)).convert(mode)
    fmt = "PNG"
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    pixels = _decode(buffer.getvalue(), f"photo.{fmt.lower()}")
    assert pixels.shape == (250, 250, 3)
    assert pixels.dtype == np.uint8


def test_first_frame_of_a_gif_and_webp_bmp_tiff(lfw: LfwFaces) -> None:
    rgb = lfw.rgb("Colin_Powell", 2)
    frames = [Image.fromarray(rgb), Image.fromarray(255 - rgb)]
    gif = io.BytesIO()
    frames[0].save(gif, format="GIF", save_all=True, append_images=frames[1:])
    first = _decode(gif.getvalue(), "anim.gif")
    assert np.abs(first.astype(int) - rgb).mean() < 20  # the first frame, palette-quantised
    for fmt in ("WEBP", "BMP", "TIFF"):
        assert _decode(encode(rgb, fmt), f"photo.{fmt.lower()}").shape == (250, 250, 3)


def test_32_bit_integer_grey_holding_16_bit_values_is_scaled() -> None:
    ramp = (np.arange(64 * 64, dtype=np.int32).reshape(64, 64) * 16) % 65536
    tiff = io.BytesIO()
    Image.fromarray(ramp).save(tiff, format="TIFF")  # mode "I": 32-bit signed integers
    pixels = _decode(tiff.getvalue(), "ramp.tif")
    expected = np.rint(ramp * (255 / 65535)).astype(np.uint8)
    np.testing.assert_array_equal(pixels[:, :, 1], expected)
