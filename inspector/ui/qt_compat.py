"""Work-arounds for defects of the installed Qt binding, applied once before any widget is made."""

from __future__ import annotations

import sys

_applied = False


def guard_refcounts() -> bool:
    """Keep None, True and False alive under a PySide6 build that returns them without a new reference.

    PySide6 6.12.0 on Python 3.11 (where these objects are not yet immortal) takes one reference from None
    on every call of a method returning void; after a few thousand calls Python aborts with "deallocating
    None". The defect is detected, not assumed; when present the three objects get a very large reference
    count, which is what Python 3.12 does for them anyway. True when the guard was needed.
    """
    global _applied
    if _applied or sys.version_info >= (3, 12):
        return _applied
    from PySide6.QtCore import QObject

    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(8):
        probe.setObjectName("probe")
    if sys.getrefcount(None) >= before:
        return False
    import ctypes  # only where the defect is: not on every start

    for obj in (None, True, False):
        ctypes.c_ssize_t.from_address(id(obj)).value += 1 << 40
    _applied = True
    return True
