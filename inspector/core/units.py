"""Sizes as people read them, worded the same in the window, the CLI and messages."""

from __future__ import annotations

_UNITS = ("KB", "MB", "GB", "TB")


def format_size(n: int) -> str:
    """0 B, 1023 B, 12.3 KB, 4.5 MB: one decimal from a kilobyte up (1 KB = 1024 bytes)."""
    if n < 1024:
        return f"{n} B"
    size = float(n)
    for unit in _UNITS:
        size /= 1024
        if size < 1024 or unit == _UNITS[-1]:
            break
    return f"{size:.1f} {unit}"
