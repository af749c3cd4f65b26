"""Work-arounds for defects of the installed Qt binding, applied once before any widget is made."""

from __future__ import annotations

import sys

_applied = False
_scan_skipped = False


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

    if not _takes_references(QObject()):
        return False
    import ctypes  # only where the defect is: not on every start

    for obj in (None, True, False):
        ctypes.c_ssize_t.from_address(id(obj)).value += 1 << 40
    _applied = True
    return True


PROBE_CALLS = 32


def _takes_references(probe: object) -> bool:
    """Whether each call of a method returning void takes a reference from None. Counted with the cyclic
    collector paused: a pass freeing objects that hold None (the first start of a new install compiles and
    collects a lot) or the binding setting a method up at its first call lowered the count by a few once, and a
    guard applied for nothing imported ctypes before the first paint. The defect takes one a call: it is there
    when most calls took one."""
    import gc

    probe.setObjectName("probe")  # type: ignore[attr-defined]  # the first call may set the method up
    paused = gc.isenabled()
    gc.disable()
    try:
        before = sys.getrefcount(None)
        for _ in range(PROBE_CALLS):
            probe.setObjectName("probe")  # type: ignore[attr-defined]
        taken = before - sys.getrefcount(None)
    finally:
        if paused:
            gc.enable()
    return taken >= PROBE_CALLS // 2


# Import names of the runtime dependencies (pyproject.toml) and what they pull in: none of them uses PySide6, so
# PySide's check of their source would record -1 ("ignore") for each; tests/ui/test_qt_compat.py reads their
# sources to keep that true.
KNOWN_FOREIGN = frozenset({
    "requests", "urllib3", "idna", "certifi", "charset_normalizer", "jwt", "cryptography", "pygments",
    "platformdirs", "tomli_w", "yaml", "keyring", "jaraco", "jeepney", "secretstorage", "importlib_metadata",
    "zipp", "more_itertools", "backports",
})


def skip_source_scan(package: str = "inspector") -> bool:
    """Spare PySide6 reading the whole source of every module imported after it.

    After PySide6 is imported, its feature support (shibokensupport.feature, behind `from __feature__ import
    snake_case`) runs inspect.getsource on every newly imported module to see whether the text mentions
    "PySide6", and records 0 ("uses PySide, no feature selected") or -1 ("ignore") per module name. That
    costs some 0.1 ms a module (about 15 ms of the window's start-up) and keeps every source in linecache.
    What the check would find is known without reading: this application selects no feature anywhere, so its
    own modules are recorded as 0; the standard library's and the dependencies' (KNOWN_FOREIGN) never
    mention PySide6, so they are recorded as -1. Every other module still goes through PySide's own check.
    True when installed; False (nothing changed) when the binding has no such hook.
    """
    global _scan_skipped
    if _scan_skipped:
        return True
    feature = sys.modules.get("shibokensupport.feature")
    table = getattr(feature, "pyside_feature_dict", None)
    original = getattr(feature, "feature_imported", None)
    if feature is None or not isinstance(table, dict) or not callable(original):
        return False
    prefix = package + "."
    foreign = KNOWN_FOREIGN | sys.stdlib_module_names

    def feature_imported(module: object) -> None:
        name = getattr(module, "__name__", None)
        if not isinstance(name, str):
            original(module)
        elif name == package or name.startswith(prefix):
            table.setdefault(name, 0)
        elif name.partition(".")[0] in foreign:
            table.setdefault(name, -1)
        else:
            original(module)

    feature.feature_imported = feature_imported  # type: ignore[attr-defined]
    _scan_skipped = True
    return True
