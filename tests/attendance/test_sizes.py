"""File sizes in words: the upload limit reads "15.7 MB", not "15,728,640 bytes"."""

from __future__ import annotations

import pytest

from attendance.sizes import file_size


@pytest.mark.parametrize(("size", "words"), [
    (15 * 1024 * 1024, "15.7 MB"), (10_000_000, "10 MB"), (1_500_000, "1.5 MB"),
    (999_999, "999.9 kB"), (2_000, "2 kB"), (512, "512 bytes"), (1, "1 byte"),
    (3_200_000_000, "3.2 GB"),
])
def test_file_size(size: int, words: str) -> None:
    assert file_size(size) == words
