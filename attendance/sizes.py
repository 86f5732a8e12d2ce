"""File sizes in words people read: "15.7 MB", not "15,728,640 bytes"."""

from __future__ import annotations

#: Decimal units, as file managers and phones show sizes (1 MB = 1,000,000 bytes).
_UNITS = ((1_000_000_000, "GB"), (1_000_000, "MB"), (1_000, "kB"))


def file_size(size: int) -> str:
    """``size`` bytes in the largest fitting decimal unit, with at most one decimal:
    ``file_size(15 * 1024 * 1024) == "15.7 MB"``, ``file_size(512) == "512 bytes"``."""
    for factor, unit in _UNITS:
        if size >= factor:
            # Rounded down, so a stated limit is never above the real one.
            value = int(size * 10 // factor) / 10
            text = f"{value:.1f}".removesuffix(".0")
            return f"{text} {unit}"
    return f"{size} byte{'s' if size != 1 else ''}"


__all__ = ["file_size"]
