"""Work-arounds for defects and start-up costs of the installed Qt binding, applied once before any widget is
made."""

from __future__ import annotations
import __future__

import builtins
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from types import CodeType
from typing import Any

_applied = False
_scan_skipped = False


# -- PySide's embedded Python, compiled once ---------------------------------------------------------------
# shiboken6 carries the Python of its signature support (shibokensupport: the loader, the parser, a .pyi
# generator) inside its binary, and its importer (signature_bootstrap.py) compiles those sources with compile()
# at every start: no .pyc is ever kept for them. That is about a sixth of the instructions an empty PySide
# window runs before its first paint. import_shiboken() imports shiboken6 with compile() looking the sources
# up in a table of code objects kept like a .pyc (core.marshalfile): beside this package's bytecode, one file per
# optimization level (-O, -OO) as .pyc files are, headed by the bytecode magic number and the interpreter's
# version, not written under PYTHONDONTWRITEBYTECODE. Only what that importer compiles is looked up or kept,
# each keyed by all that decides what compile() makes: the source (its kind first), its file name, the mode,
# the flags with the future features the importer's own code would pass on made explicit, and the
# optimization level in effect. Another PySide's sources are other keys. The table holds what the last run
# that compiled something used; the loaded table leaves memory once shiboken6 is imported, and what a
# compiling run used is kept until it is saved at exit. It helps from the second start on, where the
# __pycache__ folder is writable.

EMBEDDED_IMPORTER = "signature_bootstrap.py"
MAX_CODE_FILE_BYTES = 8 * 1024 * 1024  # a bigger file is not ours (PySide 6.11's is about 0.3 MB)
CODE_HEAD = b"pyside-code\0" + sys.version.encode("utf-8", "replace") + b"\0"
_FUTURES = sum({getattr(__future__, name).compiler_flag for name in __future__.all_feature_names}) & ~0x10
# (the compiler flags of __future__'s features, as a code object's co_flags carry them; 0x10 is nested_scopes,
# a feature of every Python 3 and a co_flags bit of every nested function)
_COMPILE = builtins.compile
# whether the source is bytes, the source, file name, mode, flags (futures explicit), optimization level
CodeKey = tuple[bool, "bytes | str", str, str, int, int]


def embedded_code_file() -> Path:
    """The table of this optimization level (as a .pyc's name carries it: opt-1 for -O, opt-2 for -OO)."""
    from inspector.core.marshalfile import beside_bytecode

    level = f".opt-{sys.flags.optimize}" if sys.flags.optimize else ""
    return beside_bytecode(Path(__file__), f"pyside-code{level}")


class EmbeddedCode:
    """builtins.compile for shiboken6's importer while shiboken6 is imported; see the text above."""

    def __init__(self, path: Path, compile_: Callable[..., Any] = _COMPILE) -> None:
        from importlib.util import MAGIC_NUMBER

        from inspector.core import marshalfile

        self.path = path
        self._head = MAGIC_NUMBER + CODE_HEAD
        table = marshalfile.read(path, self._head, MAX_CODE_FILE_BYTES)
        self._codes: dict[CodeKey, CodeType] = {}
        if isinstance(table, dict):
            self._codes = {k: v for k, v in table.items() if _is_code_key(k) and type(v) is CodeType}
        self._used: dict[CodeKey, CodeType] = {}
        self._compile = compile_  # what builtins.compile was: every call not looked up goes to it
        self.compiled = 0  # sources this run compiled (not found in the table)

    def compile(self, source: Any, filename: Any, mode: str, flags: int = 0, dont_inherit: bool = False,
                optimize: int = -1, **kwargs: Any) -> Any:
        caller = sys._getframe(1).f_code
        if not dont_inherit:  # what compile() would take from the calling code: its future features
            flags |= caller.co_flags & _FUTURES
        if (caller.co_filename != EMBEDDED_IMPORTER or kwargs or type(source) not in (bytes, str)
                or type(filename) is not str):
            return self._compile(source, filename, mode, flags, True, optimize, **kwargs)
        level = sys.flags.optimize if optimize == -1 else optimize
        key: CodeKey = (type(source) is bytes, source, filename, mode, flags, level)
        code = self._codes.get(key)
        if code is None:
            code = self._compile(source, filename, mode, flags, True, level)
            self.compiled += 1
        self._used[key] = code
        return code

    def imported(self) -> bool:
        """shiboken6 is imported: the loaded table leaves memory, and so does what this run used unless it
        compiled something (then a save is due, and that is kept for it). True when a save is due."""
        self._codes = {}
        if not self.compiled:
            self._used = {}
        return bool(self.compiled)

    def save(self) -> bool:
        """Write what this run used when it compiled something (core.marshalfile.save: as a .pyc is)."""
        from inspector.core import marshalfile

        if not self.compiled or not marshalfile.save(self.path, self._head, self._used):
            return False
        self.compiled = 0
        return True


def _is_code_key(key: object) -> bool:
    return (type(key) is tuple and len(key) == 6 and type(key[1]) in (bytes, str)
            and key[0] is (type(key[1]) is bytes) and type(key[2]) is str and type(key[3]) is str
            and type(key[4]) is int and type(key[5]) is int)


def import_shiboken(environ: Mapping[str, str] | None = None, path: Callable[[], Path] = embedded_code_file,
                    module: str = "shiboken6") -> EmbeddedCode | None:
    """Import shiboken6 (PySide6's base; `module` for tests) with its embedded Python compiled through the
    table; the table is saved at exit when the import compiled something. None (a plain import) when it is
    imported already, under INSPECTOR_TESTING (no run may write outside its test), or when there is no path."""
    if module in sys.modules:
        return None
    import importlib

    from inspector.core.marshalfile import caches_off

    if caches_off(os.environ if environ is None else environ):
        importlib.import_module(module)
        return None
    try:
        cache = EmbeddedCode(path(), builtins.compile)
    except Exception:  # no cache tag (sys.implementation.cache_tag is None), say
        importlib.import_module(module)
        return None
    try:
        builtins.compile = cache.compile
        importlib.import_module(module)
    finally:
        if builtins.compile == cache.compile:  # (==: a bound method is a new object at each access)
            builtins.compile = cache._compile
    if cache.imported():
        import atexit

        atexit.register(cache.save)
    return cache


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
