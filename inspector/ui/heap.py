"""Give freed heap pages back to the system (glibc keeps them in each thread's malloc arena otherwise)."""

from __future__ import annotations

import sys


def trim_heap() -> None:
    """glibc's malloc_trim(0): free pages of every malloc arena returned to the system (a millisecond or
    two, without the GIL); nothing elsewhere (no glibc, or not Linux)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # musl and other libcs have no malloc_trim
        pass
