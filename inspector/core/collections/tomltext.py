"""TOML text for collection files: `[[headers]]` arrays of tables and readable literal strings.

tomli_w writes a list of tables inline (`headers = [{ name = ... }]`), which makes every header change a
change of one long line; a team reads these files in diffs, so each entry gets its own `[[headers]]` block.
A JSON body is written as a literal string ('...' or '''...''') when it can be, so its quotes need no escapes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import tomli_w

_BARE_KEY_RE = re.compile(r"^[A-Za-z0-9_-]+$")
# a literal string cannot hold control characters (a tab is allowed) and cannot escape anything
_LITERAL_BAD_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_MULTILINE_BAD_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def dumps(doc: Mapping[str, Any]) -> str:
    """The document as TOML: scalars first, then tables, then each list of tables entry by entry."""
    lines: list[str] = []
    _table(lines, (), doc)
    return "\n".join(lines).strip("\n") + "\n"


def key_text(key: str) -> str:
    return key if _BARE_KEY_RE.match(key) else json.dumps(key, ensure_ascii=False)


def _is_table_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _table(lines: list[str], path: tuple[str, ...], table: Mapping[str, Any]) -> None:
    nested: list[tuple[str, Any]] = []
    for key, value in table.items():
        if isinstance(value, Mapping) or _is_table_list(value):
            nested.append((key, value))  # after every plain key: they would belong to the table above
        elif value is not None:
            lines.append(f"{key_text(key)} = {value_text(value)}")
    for key, value in nested:  # tables and lists of tables in the document's own order
        full = (*path, key)
        header = ".".join(key_text(k) for k in full)
        if isinstance(value, Mapping):
            # a table holding only tables needs no header of its own: [a.b] implies [a]
            if not value or any(not isinstance(v, Mapping) and not _is_table_list(v) for v in value.values()):
                lines.append("")
                lines.append(f"[{header}]")
            _table(lines, full, value)
            continue
        for entry in value:
            lines.append("")
            lines.append(f"[[{header}]]")
            _table(lines, full, entry)


def value_text(value: Any) -> str:
    """One TOML value; strings holding double quotes become literal strings when that is possible."""
    if isinstance(value, str) and '"' in value and "'" not in value:
        if "\n" not in value and not _LITERAL_BAD_RE.search(value):
            return f"'{value}'"
        if "\r" not in value and not _MULTILINE_BAD_RE.search(value):
            return f"'''\n{value}'''"  # the newline after the opening quotes is not part of the value
    # a multi-line string cannot keep a carriage return: TOML reads "\r\n" in one as "\n"; escape it instead
    text = tomli_w.dumps({"v": value}, multiline_strings=not holds_carriage_return(value))
    return text[len("v = ") :].rstrip("\n")


def holds_carriage_return(value: Any) -> bool:
    """Whether a string anywhere in value holds a \\r (TOML's multi-line strings cannot keep one)."""
    if isinstance(value, str):
        return "\r" in value
    if isinstance(value, Mapping):
        return any(holds_carriage_return(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(holds_carriage_return(v) for v in value)
    return False
