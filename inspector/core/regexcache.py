"""Regular expressions compiled once, not at every start: what `re` makes of a pattern, kept like a .pyc.

`re.compile` parses a pattern and turns it into the regex engine's code in pure Python (re._parser and
re._compiler); only the last step, `_sre.compile`, is C. Every start pays that for each pattern its modules
compile at import: PySide's own signature loader compiles a dozen large ones while shiboken6 is imported
(some 13 % of the instructions an empty PySide window runs to its first paint), the window's modules some fifty more.

`install()` gives `re` its own compile step. A pattern and its flags are looked up in a table of the arguments
`_sre.compile` was called with for them, and on a hit the engine is made from those directly. A miss compiles
as before; when it happens while a module is being imported, the arguments are written down, and the table is
saved at exit when something was added. The window and the command line keep a table each (`program`).

What is written: only patterns compiled while a module is imported, that is what the program's and its
libraries' module-level code builds (in practice from constants: no module of this program builds a pattern
from settings, files or the environment at import, and the start-up tests check that a secret in the
environment and one in a command's arguments never reach the file). A search typed in the window, a value
escaped into a pattern, a server's text: those are compiled at run time, never during an import, and never
written.

A pattern whose text changes from run to run (PyJWT joins a set of PEM labels, whose order follows the hash
seed) would make every run write the table and grow it. So a run that adds only a few entries (FEW_NEW) writes
at most once a day (QUIET_S, from the file's time), and an entry that MAX_AGE runs writing the table did not use
is dropped.

The table is trusted like a .pyc, and kept like one: in this package's __pycache__ folder (or under
sys.pycache_prefix), not written under PYTHONDONTWRITEBYTECODE. Its header names the interpreter (its version
string, so that a patch release's re is never served another's code, and the bytecode magic number) and the
regex engine (version, code size); a table written by another reads as empty. A missing, stale, damaged or
unwritable file costs only the compiling; the engine checks the code it is given, and an entry it refuses is
compiled anew. What a user could see differently: a warning re gives while parsing a pattern (FutureWarning,
"possible nested set") is given only on the run that compiles it, and names a line one or two frames further
into re than without the cache.
"""

from __future__ import annotations

import _sre
import atexit
import os
import re
import sys
import threading
import time
import types
from collections.abc import Callable, Mapping
from importlib.util import MAGIC_NUMBER
from pathlib import Path
from re import _compiler  # type: ignore[attr-defined]
from typing import Any

from inspector.core import marshalfile

__all__ = ["RegexCache", "default_cache_file", "install"]

MAX_AGE = 8
FEW_NEW = 4
QUIET_S = 24 * 3600
MAX_FILE_BYTES = 4 * 1024 * 1024  # a bigger file is not ours (the window's is about 0.1 MB)
HEAD = (MAGIC_NUMBER + sys.version.encode("utf-8", "replace") + b"\0sre" + _sre.MAGIC.to_bytes(4, "little")
        + _sre.CODESIZE.to_bytes(1, "little"))
_LEFT_TO_RE = re.DEBUG  # it prints the parse
_ARMED = object()  # this thread's capture waits for the arguments of the compile it is asked for
_RE_COMPILE = _compiler.compile  # re's own (as this module is first imported)
_IMPORT_FILES = frozenset({"<frozen importlib._bootstrap>", "<frozen importlib._bootstrap_external>"})

# whether the pattern is bytes, the pattern, its flags as re._compiler.compile is given them (the kind first: a
# str and a bytes pattern with the same text are never compared, which `python -bb` would make an error)
Key = tuple[bool, "str | bytes", int]
# _sre.compile's arguments after the pattern: flags, code, groups, groupindex, indexgroup
Entry = tuple[int, list[int], int, dict[str, int], tuple["str | None", ...]]
Aged = tuple[int, Entry]  # as kept in the file: how many runs that wrote it have not used the entry, the entry


def default_cache_file(program: str) -> Path:
    """`program`'s table: in the __pycache__ folder Python keeps this package's bytecode in."""
    return marshalfile.beside_bytecode(Path(__file__), f"regexes.{program}")


class RegexCache:
    """`re._compiler.compile` with a table of `_sre.compile`'s arguments; see the module text."""

    def __init__(self, path: Path) -> None:
        self.path = path
        kept = read_table(path)
        self._table: dict[Key, Entry] = {key: entry for key, (_age, entry) in kept.items()}
        self._ages = {key: age for key, (age, _entry) in kept.items()}
        self._used: set[Key] = set()
        self._new: set[Key] = set()  # (sets: several threads import modules at start)
        self._capture = threading.local()  # the arguments of the compile this thread asked for
        self._compile = _RE_COMPILE  # for a miss: re's own, or what attach() replaced
        self._replaced: tuple[Any, Any] = (_RE_COMPILE, _sre)
        self._recording = types.ModuleType(_sre.__name__, _sre.__doc__)  # re._compiler's _sre while attached
        vars(self._recording).update(vars(_sre))
        self._recording.compile = self._record  # type: ignore[attr-defined]

    @property
    def compiled(self) -> int:
        """How many patterns this run compiled during an import and has not saved yet."""
        return len(self._new)

    def attach(self) -> None:
        self._replaced = (_compiler.compile, _compiler._sre)
        self._compile = _compiler.compile
        _compiler.compile = self.compile
        _compiler._sre = self._recording

    def detach(self) -> None:
        """Give re back what attach() replaced."""
        if _compiler.compile == self.compile:
            _compiler.compile, _compiler._sre = self._replaced

    def compile(self, p: Any, flags: int = 0) -> Any:
        """What `re` calls to compile: the table's entry when it has one, else re's own compile."""
        if type(p) is str or type(p) is bytes:  # (not a parsed pattern, which re also passes here)
            flags = int(flags)  # (sre_compile passes a RegexFlag, which marshal cannot write)
            if not flags & _LEFT_TO_RE:
                key = (type(p) is bytes, p, flags)
                entry = self._table.get(key)
                if entry is not None:
                    try:
                        pattern = _sre.compile(p, *entry)
                    except Exception:  # the engine refuses the code (RuntimeError), or a damaged entry
                        self._table.pop(key, None)
                    else:
                        self._used.add(key)
                        return pattern
                if _importing():
                    return self._compile_and_keep(key)
        return self._compile(p, flags)

    def _compile_and_keep(self, key: Key) -> Any:
        _is_bytes, p, flags = key
        self._capture.args = _ARMED
        try:
            pattern = self._compile(p, flags)
            args = self._capture.args
        finally:
            self._capture.args = None
        entry = _entry(args[1:]) if type(args) is tuple and args[0] is p else None
        if entry is not None:
            self._table[key] = entry
            self._new.add(key)
            self._used.add(key)
        return pattern

    def _record(self, *args: Any) -> Any:
        if getattr(self._capture, "args", None) is _ARMED:  # (only the compile asked for: one at a time per thread)
            self._capture.args = args
        return _sre.compile(*args)

    def save(self) -> bool:
        """Write the table when this run added to it, but a few entries at most once a day (see the module
        text); atomically, and a failure is ignored, as a .pyc's is. True when written."""
        if not self._new or (len(self._new) <= FEW_NEW and self._written_lately()):
            return False
        entries, used = dict(self._table), set(self._used)  # (copies: a daemon thread may still import a module)
        table: dict[Key, Aged] = {}
        for key, entry in entries.items():
            age = 0 if key in used else self._ages.get(key, 0) + 1
            if age <= MAX_AGE:
                table[key] = (age, entry)
        if not marshalfile.save(self.path, HEAD, table):
            return False
        self._new.clear()
        return True

    def _written_lately(self) -> bool:
        try:
            return 0 <= time.time() - os.stat(self.path).st_mtime < QUIET_S
        except OSError:
            return False


def _importing() -> bool:
    """Whether the compile was asked for while a module is being imported (importlib is on the stack)."""
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename in _IMPORT_FILES:
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


def _entry(args: tuple[Any, ...]) -> Entry | None:
    """_sre.compile's arguments after the pattern as plain values marshal can write (re's opcodes are an int
    subclass), or None when they are not the five this Python's re was known to pass."""
    if len(args) != 5:
        return None
    flags, code, groups, groupindex, indexgroup = args
    try:
        return (int(flags), [int(op) for op in code], int(groups),
                {str(name): int(index) for name, index in dict(groupindex).items()},
                tuple(None if name is None else str(name) for name in indexgroup))
    except (TypeError, ValueError):
        return None


def _is_entry(value: object) -> bool:
    return (type(value) is tuple and len(value) == 5 and type(value[0]) is int and type(value[1]) is list
            and all(type(op) is int for op in value[1]) and type(value[2]) is int and type(value[3]) is dict
            and all(type(k) is str and type(v) is int for k, v in value[3].items())
            and type(value[4]) is tuple and all(name is None or type(name) is str for name in value[4]))


def read_table(path: Path) -> dict[Key, Aged]:
    """The file's table (core.marshalfile), its well-formed entries only; empty when the file cannot be read,
    is too big, was written by another Python or regex engine, or is damaged."""
    table = marshalfile.read(path, HEAD, MAX_FILE_BYTES)
    if not isinstance(table, dict):
        return {}
    return {key: aged for key, aged in table.items() if _is_key(key) and _is_aged(aged)}


def _is_key(key: object) -> bool:
    return (type(key) is tuple and len(key) == 3 and type(key[1]) in (str, bytes)
            and key[0] is (type(key[1]) is bytes) and type(key[2]) is int)


def _is_aged(aged: object) -> bool:
    return type(aged) is tuple and len(aged) == 2 and type(aged[0]) is int and _is_entry(aged[1])


def install(program: str, environ: Mapping[str, str] | None = None,
            path: Callable[[str], Path] = default_cache_file) -> RegexCache | None:
    """Make `re` compile through `program`'s table ("window", "cli"), saved at exit; None (nothing changed)
    when it is installed already, when re._compiler does not compile through the _sre module (another re than
    CPython's), when there is no __pycache__ path, or under INSPECTOR_TESTING (in `environ` or this process's
    environment), where no run may write outside its test. (Should a Python's re pass _sre.compile other
    arguments than the five known, nothing is written: _entry refuses them.)"""
    if marshalfile.caches_off(os.environ if environ is None else environ):
        return None
    if isinstance(getattr(_compiler.compile, "__self__", None), RegexCache):
        return None
    if getattr(_compiler, "_sre", None) is not _sre or not callable(getattr(_compiler, "compile", None)):
        return None
    try:
        where = path(program)
    except Exception:  # no cache tag (sys.implementation.cache_tag is None), say: re compiles as it always did
        return None
    cache = RegexCache(where)
    cache.attach()
    atexit.register(cache.save)
    return cache
