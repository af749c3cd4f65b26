"""A table kept in a file the way Python keeps a .pyc: a header naming what wrote it, a CRC-32 of the rest, then
marshal's bytes. The dataclass methods' cache (codecache.py), the regular expressions' (regexcache.py) and
PySide's embedded code (ui/qt_compat.py) keep theirs so; the last two beside the bytecode (`beside_bytecode`).

Like a .pyc, the file is trusted once its header and CRC match: it is the user's own, written by this program.
Reading never raises: a missing, unreadable, oversized, foreign (another header: another Python, another
cache) or damaged file reads as None, and the caller starts empty.
"""

from __future__ import annotations

import marshal
import os
import stat
import sys
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def caches_off(environ: Mapping[str, str]) -> bool:
    """Whether this run keeps no cache file: under INSPECTOR_TESTING (in `environ` or this process's
    environment) no run may write outside its test."""
    return bool(environ.get("INSPECTOR_TESTING") or os.environ.get("INSPECTOR_TESTING"))


def beside_bytecode(anchor: Path, name: str) -> Path:
    """`name`'s table file in the __pycache__ folder Python keeps `anchor`'s bytecode in (or under
    sys.pycache_prefix), tagged with the interpreter's cache tag as a .pyc is. Raises NotImplementedError when
    the interpreter has no cache tag."""
    from importlib.util import cache_from_source

    pyc = Path(cache_from_source(os.fspath(anchor.with_name(f"{name}.py"))))
    return pyc.with_name(f"{name}.{sys.implementation.cache_tag}.marshal")


def read(path: Path, head: bytes, max_bytes: int) -> object | None:
    """What `write(path, head, value)` wrote, or None; see the module text."""
    try:  # non-blocking: opening a FIFO for reading would wait for a writer; the stat is of what was opened
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "rb") as f:
            info = os.fstat(f.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
                return None
            data = f.read()
    except OSError:
        return None
    payload = data[len(head) + 4:]
    if data[:len(head)] != head or data[len(head):len(head) + 4] != zlib.crc32(payload).to_bytes(4, "little"):
        return None
    try:
        value: object = marshal.loads(payload)
    except Exception:  # (ValueError, EOFError, TypeError; under `python -bb`, a BytesWarning)
        return None
    return value


def save(path: Path, head: bytes, value: Any) -> bool:
    """`write`, as Python writes a .pyc: not under PYTHONDONTWRITEBYTECODE, and a failure is ignored. True when
    written."""
    if sys.dont_write_bytecode:
        return False
    try:
        write(path, head, value)
    except (OSError, ValueError):
        return False
    return True


def write(path: Path, head: bytes, value: Any) -> None:
    """Atomically, 0600 in a folder made 0700 (core.files). Raises OSError, or ValueError when marshal cannot
    write `value`."""
    from inspector.core.files import atomic_write, ensure_private_dir

    payload = marshal.dumps(value)
    ensure_private_dir(path.parent)
    atomic_write(path, head + zlib.crc32(payload).to_bytes(4, "little") + payload)
