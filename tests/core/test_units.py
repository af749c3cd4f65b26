"""One size formatter for the window, the CLI and messages."""

from __future__ import annotations

import pytest

from inspector.core.units import format_size


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1.0 KB"),
        (1536, "1.5 KB"),
        (200_000, "195.3 KB"),
        (5 * 1024 * 1024, "5.0 MB"),
        (1024**3, "1.0 GB"),
        (3 * 1024**4, "3.0 TB"),
        (5000 * 1024**4, "5000.0 TB"),
    ],
)
def test_format_size(n: int, text: str) -> None:
    assert format_size(n) == text
