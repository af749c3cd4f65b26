"""Damaging a table file kept like a .pyc (inspector/core/marshalfile.py: header, CRC-32, marshal's bytes), as the
caches' tests do: each kind of damage must read as an empty table and cost only the compiling."""

from __future__ import annotations

import marshal
import zlib
from pathlib import Path

DAMAGES = ("missing", "empty", "truncated", "flipped byte", "other python", "not a table")


def rewrite_table_file(path: Path, head: bytes, value: object) -> None:
    """A well-formed file (the right header and CRC) holding `value`."""
    raw = marshal.dumps(value)
    path.write_bytes(head + zlib.crc32(raw).to_bytes(4, "little") + raw)


def damage_table_file(path: Path, damage: str, head: bytes) -> None:
    """One of DAMAGES done to the file at `path`, whose header is `head`."""
    data = path.read_bytes()
    if damage == "missing":
        path.unlink()
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "flipped byte":
        path.write_bytes(data[:-10] + bytes([data[-10] ^ 0xFF]) + data[-9:])
    elif damage == "other python":  # another bytecode magic number
        path.write_bytes(b"\x00\x00\r\n" + data[4:])
    elif damage == "not a table":
        rewrite_table_file(path, head, ["a list", "not a dict"])
    else:
        raise ValueError(f"unknown damage {damage!r}")
