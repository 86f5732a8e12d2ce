"""Generated hostile and awkward photo files for the upload and bulk-enrollment proofs.

Every case is made in memory from one or two LFW face photos and from hand-built headers:
the pixel bombs are only headers (a PNG IHDR, a JPEG SOF, a GIF screen, a BMP info header)
claiming 144 or 400 megapixels, so building them allocates nothing. Each case says what the
enrollment must answer: a set of acceptable refusal codes, or :data:`ACCEPT` for files that
are odd but fine (EXIF rotation, CMYK, 16-bit, alpha, ...).
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageFilter, PngImagePlugin

#: Expected outcome of a file that is odd but must be enrolled.
ACCEPT: frozenset[str] = frozenset()
NOT_IMAGE = frozenset({"not_an_image"})
BROKEN = frozenset({"not_an_image", "corrupt"})
BOMB = frozenset({"too_many_pixels"})
NO_FACE = frozenset({"no_face"})
#: Smaller than a face may be: refused as such, not as "no face".
TOO_SMALL = frozenset({"too_small"})


@dataclass(frozen=True)
class BadFile:
    """One generated file: ``filename`` (what the uploader calls it), its bytes, and the
    refusal codes allowed (empty: it must be accepted)."""

    filename: str
    data: bytes
    refusals: frozenset[str]
    #: True for the header-only pixel bombs: no pixel of these may ever be decoded.
    bomb: bool = False

    @property
    def rejected(self) -> bool:
        return bool(self.refusals)


def _encode(pixels: NDArray[np.uint8] | Image.Image, fmt: str, **params: object) -> bytes:
    image = pixels if isinstance(pixels, Image.Image) else Image.fromarray(pixels)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(
        ">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png_bomb(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims ``width`` x ``height`` RGB pixels, with one tiny IDAT."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr)
            + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + _png_chunk(b"IEND", b""))


def jpeg_bomb(width: int, height: int) -> bytes:
    """A baseline JPEG header (SOF0 + SOS) claiming ``width`` x ``height``, no real scan."""
    sof = struct.pack(">BHHB", 8, height, width, 3) + b"\x01\x11\x00\x02\x11\x00\x03\x11\x00"
    sos = b"\x03\x01\x00\x02\x00\x03\x00\x00\x3f\x00"
    return (b"\xff\xd8" + b"\xff\xc0" + struct.pack(">H", len(sof) + 2) + sof
            + b"\xff\xda" + struct.pack(">H", len(sos) + 2) + sos + b"\x00" * 32 + b"\xff\xd9")


def gif_bomb(width: int, height: int) -> bytes:
    """A GIF whose screen and first image claim ``width`` x ``height`` (16-bit sides)."""
    screen = b"GIF89a" + struct.pack("<HHBBB", width, height, 0, 0, 0)
    image = b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0)
    return screen + image + b"\x02\x02\x4c\x01\x00\x3b"


def bmp_bomb(width: int, height: int) -> bytes:
    """A 24-bit BMP header claiming ``width`` x ``height`` followed by a few bytes."""
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, 0, 2835, 2835, 0, 0)
    return b"BM" + struct.pack("<IHHI", 14 + 40 + 16, 0, 0, 54) + info + b"\x00" * 16


def _ftyp_heic() -> bytes:
    """The start of an HEIC file: an ISO-BMFF ``ftyp`` box of brand ``heic``."""
    box = b"ftypheic" + b"\x00\x00\x00\x00" + b"mif1heic"
    return struct.pack(">I", len(box) + 4) + box + b"\x00" * 200


def _exif_rotated(face: NDArray[np.uint8]) -> bytes:
    """The face stored lying on its side, with EXIF orientation 6 ("rotate 90 CW to view")."""
    lying = Image.fromarray(face).transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    return _encode(lying, "JPEG", exif=exif.tobytes(), quality=95)


def _png_text_bomb(face: NDArray[np.uint8]) -> bytes:
    """A face PNG with a zTXt chunk inflating to 64 MiB (Pillow caps text chunks)."""
    info = PngImagePlugin.PngInfo()
    info.add(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"A" * (64 * 1024 * 1024), 9))
    return _encode(face, "PNG", pnginfo=info)


def _animated_noise(rng: np.random.Generator) -> bytes:
    frames = [Image.fromarray(rng.integers(0, 255, (120, 160, 3), dtype=np.uint8))
              for _ in range(3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=100,
                   loop=0)
    return buffer.getvalue()


def make_bad_files(face: NDArray[np.uint8], other: NDArray[np.uint8]) -> list[BadFile]:
    """All the cases, from two different people's 250x250 RGB face photos."""
    rng = np.random.default_rng(8)
    jpeg = _encode(face, "JPEG", quality=92)
    png = _encode(face, "PNG")
    grey = np.full((240, 320, 3), 128, dtype=np.uint8)
    gradient = np.tile(np.linspace(0, 255, 320, dtype=np.uint8)[None, :, None], (240, 1, 3))
    tiny = np.full((600, 600, 3), 120, dtype=np.uint8)
    tiny[280:320, 280:320] = np.asarray(Image.fromarray(face).resize((40, 40)))
    pair = np.concatenate([face, other], axis=1)
    blurred = np.asarray(Image.fromarray(face).filter(ImageFilter.GaussianBlur(7)))
    dark = (face.astype(np.float32) * 0.08).astype(np.uint8)
    bright = np.clip(face.astype(np.int16) + 200, 0, 255).astype(np.uint8)
    grey16 = (np.asarray(Image.fromarray(face).convert("L"), dtype=np.uint16) * 257)
    rgba = np.concatenate([face, np.full(face.shape[:2] + (1,), 255, np.uint8)], axis=2)
    random_bytes = [rng.integers(0, 256, n, dtype=np.uint8).tobytes() for n in (1, 1024, 65536)]
    cases = [
        BadFile("empty.jpg", b"", frozenset({"empty"})),
        *(BadFile(f"random_{len(b)}.jpg", b, BROKEN) for b in random_bytes),
        BadFile("random_with_jpeg_magic.jpg", b"\xff\xd8\xff\xe0" + random_bytes[1], BROKEN),
        BadFile("random_with_png_magic.png", b"\x89PNG\r\n\x1a\n" + random_bytes[1], BROKEN),
        BadFile("jpeg_soi_eoi_only.jpg", b"\xff\xd8\xff\xd9", BROKEN),
        BadFile("png_signature_only.png", b"\x89PNG\r\n\x1a\n", BROKEN),
        BadFile("gif_header_only.gif", b"GIF89a", BROKEN),
        BadFile("truncated_20_bytes.jpg", jpeg[:20], BROKEN),
        BadFile("truncated_half.jpg", jpeg[: len(jpeg) // 2], BROKEN),
        BadFile("truncated_png.png", png[: len(png) // 2], BROKEN),
        BadFile("tiff_broken_ifd.tif", b"II*\x00\x08\x00\x00\x00" + random_bytes[1], BROKEN),
        BadFile("page.html.jpg", b"<!doctype html><html><script>alert(1)</script></html>",
                NOT_IMAGE),
        BadFile("document.jpg", b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", NOT_IMAGE),
        BadFile("drawing.jpg", b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>',
                NOT_IMAGE),
        BadFile("program.jpg", b"MZ\x90\x00" + random_bytes[1], NOT_IMAGE),
        BadFile("archive.jpg", b"PK\x03\x04" + random_bytes[1], NOT_IMAGE),
        BadFile("elf.png", b"\x7fELF" + random_bytes[1], NOT_IMAGE),
        BadFile("photo.heic", _ftyp_heic(), NOT_IMAGE),
        BadFile("heic_named.jpg", _ftyp_heic(), NOT_IMAGE),
        BadFile("bomb_144mp.png", png_bomb(12_000, 12_000), BOMB, bomb=True),
        BadFile("bomb_400mp.png", png_bomb(20_000, 20_000), BOMB, bomb=True),
        BadFile("bomb_144mp.jpg", jpeg_bomb(12_000, 12_000), BOMB, bomb=True),
        BadFile("bomb_400mp.jpg", jpeg_bomb(20_000, 20_000), BOMB, bomb=True),
        BadFile("bomb_4gp.gif", gif_bomb(65_535, 65_535), BOMB, bomb=True),
        BadFile("bomb_400mp.bmp", bmp_bomb(20_000, 20_000), BOMB, bomb=True),
        BadFile("text_chunk_bomb.png", _png_text_bomb(face), BROKEN),
        BadFile("line_1x100000.png", _encode(np.full((1, 100_000, 3), 90, np.uint8), "PNG"),
                TOO_SMALL),
        BadFile("line_100000x1.png", _encode(np.full((100_000, 1, 3), 90, np.uint8), "PNG"),
                TOO_SMALL),
        BadFile("one_pixel.png", _encode(np.zeros((1, 1, 3), np.uint8), "PNG"), TOO_SMALL),
        BadFile("animated_noise.gif", _animated_noise(rng), NO_FACE),
        BadFile("no_face_grey.jpg", _encode(grey, "JPEG"), NO_FACE),
        BadFile("no_face_gradient.png", _encode(gradient, "PNG"), NO_FACE),
        BadFile("no_face_noise.png",
                _encode(rng.integers(0, 255, (300, 300, 3), dtype=np.uint8), "PNG"), NO_FACE),
        BadFile("black.jpg", _encode(np.zeros((250, 250, 3), np.uint8), "JPEG"), NO_FACE),
        BadFile("tiny_face.jpg", _encode(tiny, "JPEG", quality=95),
                frozenset({"no_face", "face_too_small"})),
        BadFile("two_faces.jpg", _encode(pair, "JPEG", quality=95),
                frozenset({"several_faces"})),
        BadFile("blurred.jpg", _encode(blurred, "JPEG", quality=95),
                frozenset({"blurry", "no_face"})),
        BadFile("too_dark.jpg", _encode(dark, "JPEG", quality=95),
                frozenset({"too_dark", "no_face"})),
        BadFile("overexposed.jpg", _encode(bright, "JPEG", quality=95),
                frozenset({"too_bright", "no_face", "blurry"})),
        # Odd but fine: each must be enrolled.
        BadFile("trailing_script.jpg", jpeg + b"<script>alert(document.cookie)</script>", ACCEPT),
        BadFile("exif_rotated.jpg", _exif_rotated(face), ACCEPT),
        BadFile("cmyk.jpg", _encode(Image.fromarray(face).convert("CMYK"), "JPEG", quality=95),
                ACCEPT),
        BadFile("grey16.png", _encode(Image.fromarray(grey16), "PNG"), ACCEPT),
        BadFile("rgba.png", _encode(rgba, "PNG"), ACCEPT),
        BadFile("palette.gif", _encode(Image.fromarray(face).quantize(256), "GIF"), ACCEPT),
        BadFile("progressive.jpg", _encode(face, "JPEG", quality=92, progressive=True), ACCEPT),
        BadFile("face.webp", _encode(face, "WEBP", quality=90), ACCEPT),
        BadFile("face.bmp", _encode(face, "BMP"), ACCEPT),
        BadFile("face.tif", _encode(face, "TIFF"), ACCEPT),
    ]
    return cases


__all__ = ["ACCEPT", "BadFile", "make_bad_files"]
