"""Dataclass methods compiled once, not at every start: a cache of their code objects, kept like a .pyc.

`@dataclass` writes a class's `__init__`, `__repr__`, `__eq__`, `__hash__` (and, frozen, `__setattr__` and
`__delattr__`) as source text and compiles it with `exec` when the class is made. That costs about 0.8 ms a
class on the two-core machine, four fifths of it in compile(), and the window makes some 50 dataclasses while
it starts (the command line's `send` about as many).

`install()` gives the `dataclasses` module its own `exec`: the text is looked up in a table of code objects,
compiled as `exec` would compile it (file name "<string>", no future flags of ours) only when it is new, and
run as before. The methods are the same; only the compiling is skipped. The table is a marshal file in the
user's cache folder, headed by the interpreter's bytecode magic number and a CRC-32 of the rest, and written
at exit when something was added. As with a .pyc, a missing, stale, corrupt or unwritable file costs only the
compiling, and PYTHONDONTWRITEBYTECODE stops the writing. Like a .pyc it is trusted: it is the user's own.

The keys are the whole source texts, so a changed class never meets old code: its text differs. Past
MAX_ENTRIES (texts of classes since changed pile up) the file keeps only what this run used. The window and
the command line keep a file each (`program`), so neither reads the other's classes.
"""

from __future__ import annotations

import atexit
import builtins
import os
import sys
import threading
from collections.abc import Callable, Mapping
from importlib.util import MAGIC_NUMBER
from pathlib import Path
from types import CodeType
from typing import Any

from inspector import APP_NAME
from inspector.core import marshalfile

__all__ = ["CodeCache", "default_cache_file", "install"]

MAX_ENTRIES = 2000
MAX_FILE_BYTES = 16 * 1024 * 1024  # a bigger file is not ours (the window's is about 0.3 MB)


def default_cache_file(program: str) -> Path:
    """The table's file in the user's cache folder, one per program and Python version."""
    import platformdirs

    tag = sys.implementation.cache_tag or "python"
    folder = Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))
    return folder / f"dataclass-methods.{program}.{tag}.marshal"


class CodeCache:
    """Code objects by source text, read from `path` when first needed; see the module text."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._codes: dict[str, CodeType] | None = None
        self._used: set[str] = set()
        self._new: set[str] = set()  # compiled by this run (sets, not counters: several threads add to them)
        self._lock = threading.Lock()  # the first reading: dataclasses are made on several threads at start
        # (reading imports nothing, so no dataclass is made on the reading thread while it holds the lock)

    @property
    def compiled(self) -> int:
        """How many texts this run compiled (not found in the file) and has not saved yet."""
        return len(self._new)

    def exec(self, source: Any, globals_: dict[str, Any] | None = None,
             locals_: Mapping[str, object] | None = None, /) -> None:
        """What `dataclasses` calls instead of the builtin: the same, with a source text's code looked up."""
        if type(source) is str:
            source = self.code(source)
        builtins.exec(source, globals_, locals_)

    def code(self, text: str) -> CodeType:
        codes = self._codes if self._codes is not None else self._read()
        code = codes.get(text)
        if code is None:
            code = compile(text, "<string>", "exec", dont_inherit=True)
            codes[text] = code
            self._new.add(text)
        self._used.add(text)
        return code

    def _read(self) -> dict[str, CodeType]:
        with self._lock:
            if self._codes is None:
                self._codes = read_table(self.path)
        return self._codes

    def save(self) -> bool:
        """Write the table when this run compiled something (atomically; a failure is ignored, as a .pyc's
        is). True when written."""
        codes = self._codes
        if not self.compiled or codes is None:
            return False
        table = dict(codes)  # (copies: a daemon thread may still make a class)
        if len(table) > MAX_ENTRIES:
            used = tuple(self._used)
            table = {text: table[text] for text in used if text in table}
        if not marshalfile.save(self.path, MAGIC_NUMBER, table):
            return False
        self._new.clear()
        return True


def read_table(path: Path) -> dict[str, CodeType]:
    """The file's table (core.marshalfile); empty when the file cannot be read, is too big, was written by
    another Python, is damaged, or is not a table."""
    table = marshalfile.read(path, MAGIC_NUMBER, MAX_FILE_BYTES)
    if not isinstance(table, dict):
        return {}
    return {k: v for k, v in table.items() if isinstance(k, str) and isinstance(v, CodeType)}


def write_table(path: Path, table: dict[str, CodeType]) -> None:
    """Atomically and privately (core.marshalfile). Raises OSError or ValueError (marshal)."""
    marshalfile.write(path, MAGIC_NUMBER, table)


def install(program: str, environ: Mapping[str, str] | None = None,
            path: Callable[[str], Path] = default_cache_file) -> CodeCache | None:
    """Make `dataclasses` compile through `program`'s cache ("window", "cli"), saved at exit; None (nothing
    changed) when it is installed already, when there is no cache folder, or under INSPECTOR_TESTING (in
    `environ` or this process's environment), where no run may write to the user's folders."""
    if marshalfile.caches_off(os.environ if environ is None else environ):
        return None
    import dataclasses

    if isinstance(getattr(vars(dataclasses).get("exec"), "__self__", None), CodeCache):
        return None
    try:
        where = path(program)  # here, not when the first class is made: finding it imports platformdirs
    except Exception:  # no home folder, say: dataclasses compile as they always did
        return None
    cache = CodeCache(where)
    dataclasses.exec = cache.exec  # type: ignore[attr-defined]  # a module global ahead of the builtin
    atexit.register(cache.save)
    return cache
