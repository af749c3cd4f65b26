"""The values of a collection: Collection, Folder, SavedRequest, Environment, parsed from their TOML files.

A collection is a folder holding `collection.toml`; each request is one TOML file; a sub-folder groups
requests (its `folder.toml` is optional); `environments/NAME.toml` hold variables; `profiles/` holds team
profiles. Every value is frozen and keeps the raw document it was read from, so a save writes back the keys
this version does not know. Parsing never touches the disk: the store reads, this module understands.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from inspector.core.errors import FileContentError, InspectorError, StorageError
from inspector.core.profiles.model import Fingerprint, line_of, toml_error_position
from inspector.core.request import Header

__all__ = [
    "BODY_KINDS",
    "COLLECTION_FILE",
    "FOLDER_FILE",
    "FORMAT",
    "RESERVED_DIRS",
    "BodyField",
    "Collection",
    "CollectionConflict",
    "CollectionError",
    "CollectionFileError",
    "CollectionStorageError",
    "Environment",
    "Fingerprint",
    "Folder",
    "Item",
    "Param",
    "SavedBody",
    "SavedRequest",
    "slug",
]

FORMAT = 1  # the format this version writes; older files are migrated on load (see MIGRATIONS)
SUFFIX = ".toml"
COLLECTION_FILE = "collection.toml"
FOLDER_FILE = "folder.toml"
ENVIRONMENTS_DIR = "environments"
PROFILES_DIR = "profiles"
RESERVED_DIRS = (PROFILES_DIR, ENVIRONMENTS_DIR)  # at a collection's top level these are not folders
BODY_KINDS = ("none", "json", "text", "form", "multipart", "file")

# format N -> a function turning a format-N document into a format-(N+1) one. Empty while FORMAT == 1.
Migration = Callable[[dict[str, Any]], dict[str, Any]]
MIGRATIONS: dict[int, Migration] = {}


class CollectionError(InspectorError):
    """A collection, folder, request or environment cannot be used or saved as it is."""


class CollectionStorageError(CollectionError, StorageError):
    """A collection file cannot be read or written (disk full, read-only, locked...)."""


class CollectionFileError(CollectionError, FileContentError):
    """A file that cannot be used as it is: bad TOML, newer format, missing or bad field.

    code: broken-file | unreadable | newer-format | missing-field | bad-field"""


class CollectionConflict(CollectionError):
    """The file changed on disk since it was loaded (or appeared, or vanished); offer reload or overwrite."""

    def __init__(self, message: str, *, path: Path) -> None:
        super().__init__(message)
        self.path = path


@dataclass(frozen=True)
class Param:
    """A query parameter of a saved request; the stored URL has no query string."""

    name: str
    value: str = ""
    enabled: bool = True


@dataclass(frozen=True)
class BodyField:
    """A form or multipart field; a multipart file field names the file (relative to the request's folder)."""

    name: str
    value: str = ""
    file: str | None = None
    enabled: bool = True
    content_type: str | None = None

    @property
    def is_file(self) -> bool:
        return self.file is not None


@dataclass(frozen=True)
class SavedBody:
    kind: str = "none"  # one of BODY_KINDS
    text: str = ""  # json and text
    fields: tuple[BodyField, ...] = ()  # form and multipart
    file: str | None = None  # file: the path of the file sent as the body
    content_type: str | None = None  # sent when the request sets no Content-Type of its own


@dataclass(frozen=True)
class SavedRequest:
    """One request file. `profile`: None follows the folder's or collection's default, "" sends none."""

    name: str
    method: str = "GET"
    url: str = ""
    params: tuple[Param, ...] = ()
    headers: tuple[Header, ...] = ()
    body: SavedBody = field(default_factory=SavedBody)
    profile: str | None = None
    expect_status: int | None = None
    vars: Mapping[str, str] = field(default_factory=dict, hash=False)
    description: str = ""
    path: Path | None = None  # the file; None until saved
    document: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)
    loaded: Fingerprint | None = field(default=None, compare=False)

    @property
    def stem(self) -> str:
        return self.path.name[: -len(SUFFIX)] if self.path is not None else slug(self.name)

    def to_document(self) -> dict[str, Any]:
        """The TOML document to write: known fields from the value, unknown keys kept from the file."""
        raw = copy.deepcopy(dict(self.document))
        known = (
            "format",
            "name",
            "method",
            "url",
            "profile",
            "expect_status",
            "description",
            "vars",
            "params",
            "headers",
            "body",
        )
        doc: dict[str, Any] = {"format": FORMAT, "name": self.name, "method": self.method, "url": self.url}
        if self.profile is not None:
            doc["profile"] = self.profile
        if self.expect_status is not None:
            doc["expect_status"] = self.expect_status
        if self.description:
            doc["description"] = self.description
        for key in known:
            raw.pop(key, None)
        doc.update(raw)
        if self.vars:
            doc["vars"] = dict(self.vars)
        old = self.document
        params = [_entry(p.name, p.value, p.enabled) for p in self.params]
        headers = [_entry(h.name, h.value, h.enabled) for h in self.headers]
        if params:
            doc["params"] = _keep_unknown(params, old.get("params"))
        if headers:
            doc["headers"] = _keep_unknown(headers, old.get("headers"))
        body = _body_document(self.body, old.get("body"))
        if body is not None:
            doc["body"] = body
        return doc


@dataclass(frozen=True)
class Folder:
    """A folder of requests and folders, in display order. `path` is the directory."""

    name: str
    path: Path | None = None
    profile: str | None = None
    vars: Mapping[str, str] = field(default_factory=dict, hash=False)
    order: tuple[str, ...] = ()
    description: str = ""
    items: tuple[Item, ...] = ()
    document: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)
    loaded: Fingerprint | None = field(default=None, compare=False)  # of folder.toml; None: none read

    @property
    def requests(self) -> tuple[SavedRequest, ...]:
        return tuple(i for i in self.items if isinstance(i, SavedRequest))

    @property
    def folders(self) -> tuple[Folder, ...]:
        return tuple(i for i in self.items if isinstance(i, Folder))

    def to_document(self) -> dict[str, Any]:
        return _meta_document(self.document, self.name, self.profile, self.vars, self.order, self.description)


Item = Folder | SavedRequest


@dataclass(frozen=True)
class Environment:
    """environments/NAME.toml: a set of variables; values may be secret references."""

    name: str
    vars: Mapping[str, str] = field(default_factory=dict, hash=False)
    path: Path | None = None
    document: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)
    loaded: Fingerprint | None = field(default=None, compare=False)

    @property
    def stem(self) -> str:
        return self.path.name[: -len(SUFFIX)] if self.path is not None else slug(self.name)

    def to_document(self) -> dict[str, Any]:
        raw = copy.deepcopy(dict(self.document))
        doc: dict[str, Any] = {"format": FORMAT}
        if self.path is None or self.name != self.stem or "name" in raw:
            doc["name"] = self.name
        for key in ("format", "name", "vars"):
            raw.pop(key, None)
        doc.update(raw)
        doc["vars"] = dict(self.vars)
        return doc


@dataclass(frozen=True)
class Collection:
    """A collection: its collection.toml, its tree of folders and requests, its environments."""

    name: str
    root: Path
    profile: str | None = None
    vars: Mapping[str, str] = field(default_factory=dict, hash=False)
    order: tuple[str, ...] = ()
    description: str = ""
    items: tuple[Item, ...] = ()
    environments: tuple[Environment, ...] = ()
    document: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)
    loaded: Fingerprint | None = field(default=None, compare=False)

    @property
    def path(self) -> Path:
        """The collection.toml file."""
        return self.root / COLLECTION_FILE

    @property
    def profiles_dir(self) -> Path:
        return self.root / PROFILES_DIR

    @property
    def environments_dir(self) -> Path:
        return self.root / ENVIRONMENTS_DIR

    def as_folder(self) -> Folder:
        """The collection's top level as a Folder (its items, profile and vars)."""
        return Folder(self.name, self.root, self.profile, self.vars, self.order, self.description, self.items)

    def environment(self, name: str) -> Environment:
        """The environment by name or file stem; CollectionError listing the known ones when none matches."""
        wanted = name.strip()
        matchers: tuple[Callable[[Environment], bool], ...] = (
            lambda e: e.name == wanted,
            lambda e: e.stem == wanted,
            lambda e: e.name.casefold() == wanted.casefold(),
        )
        for match in matchers:
            found = [e for e in self.environments if match(e)]
            if found:
                return found[0]
        known = ", ".join(sorted(e.name for e in self.environments)) or "none"
        raise CollectionError(
            f"The collection '{self.name}' has no environment called '{wanted}' (its environments: {known}): "
            f"add {self.environments_dir / (slug(wanted) + SUFFIX)} or pick one of those."
        )

    def to_document(self) -> dict[str, Any]:
        return _meta_document(self.document, self.name, self.profile, self.vars, self.order, self.description)


def walk(items: tuple[Item, ...], parents: tuple[Folder, ...] = ()) -> list[tuple[tuple[Folder, ...], Item]]:
    """Every item under `items`, depth first in display order, with the folders above it (outermost first)."""
    out: list[tuple[tuple[Folder, ...], Item]] = []
    stack: list[tuple[tuple[Folder, ...], tuple[Item, ...], int]] = [(parents, items, 0)]
    while stack:  # iterative: a deep tree cannot exhaust the recursion limit
        above, level, i = stack.pop()
        if i >= len(level):
            continue
        item = level[i]
        stack.append((above, level, i + 1))
        out.append((above, item))
        if isinstance(item, Folder):
            stack.append(((*above, item), item.items, 0))
    return out


def slug(name: str) -> str:
    """A file or folder name for a display name: lower-case letters, digits and dashes."""
    s = re.sub(r"[^a-z0-9]+", "-", name.strip().lower()).strip("-")
    return s[:80].rstrip("-") or "untitled"


# --- writing helpers ---------------------------------------------------------------------------------------


def _entry(name: str, value: str, enabled: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name, "value": value}
    if not enabled:
        entry["enabled"] = False
    return entry


def _keep_unknown(entries: list[dict[str, Any]], old: Any) -> list[dict[str, Any]]:
    """Each entry with the unknown keys of the file's entry at the same place, when that entry is the same."""
    if not isinstance(old, list):
        return entries
    out = []
    for i, entry in enumerate(entries):
        before = old[i] if i < len(old) and isinstance(old[i], dict) else None
        if (
            before is not None
            and all(before.get(k) == v for k, v in entry.items())
            and (before.get("enabled", True) == entry.get("enabled", True))
        ):
            merged = copy.deepcopy(before)  # the same entry: keep its spelling and its unknown keys
            merged.update(entry)
            out.append(merged)
        else:
            out.append(entry)
    return out


def _body_document(body: SavedBody, old: Any) -> dict[str, Any] | None:
    if body.kind == "none" and not isinstance(old, dict):
        return None
    doc: dict[str, Any] = {"kind": body.kind}
    if body.kind in ("json", "text"):
        doc["text"] = body.text
    if body.kind == "file" and body.file is not None:
        doc["file"] = body.file
    if body.content_type:
        doc["content_type"] = body.content_type
    raw = copy.deepcopy(old) if isinstance(old, dict) else {}
    for key in ("kind", "text", "file", "content_type", "fields"):
        raw.pop(key, None)
    doc.update(raw)
    if body.kind in ("form", "multipart") and body.fields:
        fields = []
        for f in body.fields:
            entry: dict[str, Any] = {"name": f.name}
            if f.file is not None:
                entry["file"] = f.file
            else:
                entry["value"] = f.value
            if f.content_type:
                entry["content_type"] = f.content_type
            if not f.enabled:
                entry["enabled"] = False
            fields.append(entry)
        doc["fields"] = _keep_unknown(fields, old.get("fields") if isinstance(old, dict) else None)
    return doc


def _meta_document(
    document: Mapping[str, Any],
    name: str,
    profile: str | None,
    variables: Mapping[str, str],
    order: tuple[str, ...],
    description: str,
) -> dict[str, Any]:
    raw = copy.deepcopy(dict(document))
    doc: dict[str, Any] = {"format": FORMAT, "name": name}
    if profile is not None:
        doc["profile"] = profile
    if description:
        doc["description"] = description
    if order:
        doc["order"] = list(order)
    for key in ("format", "name", "profile", "description", "order", "vars"):
        raw.pop(key, None)
    doc.update(raw)
    if variables:
        doc["vars"] = dict(variables)
    return doc


# --- parsing -----------------------------------------------------------------------------------------------


def _where(path: Path, line: int | None) -> str:
    return f"{path}, line {line}" if line else str(path)


def nth_table_line(text: str, header: str, n: int) -> int | None:
    """1-based line of the n-th (0-based) `[[header]]` in the text."""
    pattern = re.compile(rf"^\s*\[\[\s*{re.escape(header)}\s*\]\]")
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            if seen == n:
                return number
            seen += 1
    return None


def parse_toml(text: str, path: Path) -> dict[str, Any]:
    """The TOML document, or CollectionFileError naming the path, line and column."""
    import tomllib  # on first use: an empty collections folder never reads TOML

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, col = toml_error_position(exc)
        reason = re.sub(r"\(at line \d+, column \d+\)", "", str(exc)).strip()
        at = f", line {line}, column {col}" if line else ""
        raise CollectionFileError(
            f"{path}{at}: this is not valid TOML ({reason}); fix the file in an editor.",
            path=path,
            code="broken-file",
            line=line,
        ) from None
    except RecursionError:
        raise CollectionFileError(
            f"{path}: its arrays or tables are nested too deeply to read; fix the file in an editor.",
            path=path,
            code="broken-file",
        ) from None


class _Reader:
    """Field checks for one document, each error naming the path, line and field."""

    def __init__(self, doc: dict[str, Any], path: Path, text: str) -> None:
        self.doc, self.path, self.text = doc, path, text

    def fail(self, code: str, name: str, what: str, line: int | None = None) -> CollectionFileError:
        if line is None:
            table, _, key = name.rpartition(".")
            line = line_of(self.text, table or None, key) or (line_of(self.text, table) if table else None)
        return CollectionFileError(
            f"{_where(self.path, line)}: {what}", path=self.path, code=code, line=line, field=name
        )

    def text_field(
        self, value: Any, name: str, *, required: bool = False, line: int | None = None
    ) -> str | None:
        if value is None:
            if required:
                raise self.fail("missing-field", name, f"the field '{name}' is missing.", line)
            return None
        if not isinstance(value, str):
            raise self.fail("bad-field", name, f"the field '{name}' must be a text in quotes.", line)
        return value

    def flag(self, value: Any, name: str, line: int | None = None) -> bool:
        if value is None:
            return True
        if not isinstance(value, bool):
            raise self.fail("bad-field", name, f"the field '{name}' must be true or false.", line)
        return value

    def variables(self, value: Any, name: str = "vars") -> dict[str, str]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(
                "bad-field",
                name,
                f"'{name}' must be a table of name = \"value\" lines.",
                line_of(self.text, None, name),
            )
        out = {}
        for key, item in value.items():
            if isinstance(item, bool) or not isinstance(item, str | int | float):
                raise self.fail(
                    "bad-field",
                    f"{name}.{key}",
                    f"the variable '{key}' must be a text in quotes (or a number).",
                )
            out[str(key)] = str(item)
        return out

    def order(self) -> tuple[str, ...]:
        value = self.doc.get("order")
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(
                "bad-field",
                "order",
                'the field \'order\' must be a list of names such as ["list-invoices", "create-invoice"].',
            )
        return tuple(value)


def migrate(doc: dict[str, Any], path: Path, text: str = "") -> dict[str, Any]:
    """Bring a document of an older format up to FORMAT; a newer or bad format is a CollectionFileError."""
    fmt = doc.get("format", FORMAT)  # hand-written files may leave it out
    line = line_of(text, None, "format")
    if isinstance(fmt, bool) or not isinstance(fmt, int) or fmt < 1:
        raise CollectionFileError(
            f"{_where(path, line)}: the field 'format' must be a whole number such as {FORMAT}, not {fmt!r}.",
            path=path,
            code="bad-field",
            line=line,
            field="format",
        )
    if fmt > FORMAT:
        raise CollectionFileError(
            f"{_where(path, line)}: this file has format {fmt}, written by a newer version of Request "
            "Inspector "
            f"(this one reads up to format {FORMAT}): update the app to use it.",
            path=path,
            code="newer-format",
            line=line,
            field="format",
        )
    while fmt < FORMAT:  # bounded: fmt grows by one each turn
        doc = MIGRATIONS[fmt](doc)
        fmt += 1
        doc["format"] = fmt
    return doc


def request_from_document(
    doc: dict[str, Any], path: Path, text: str = "", loaded: Fingerprint | None = None
) -> SavedRequest:
    """Validate a request document; CollectionFileError names the path, line and field."""
    doc = migrate(doc, path, text)
    r = _Reader(doc, path, text)
    name = (r.text_field(doc.get("name"), "name") or "").strip() or path.stem
    method = (r.text_field(doc.get("method"), "method") or "GET").strip().upper() or "GET"
    if not re.match(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$", method):
        raise r.fail("bad-field", "method", f"'{method}' is not an HTTP method: use GET, POST, ...")
    url = r.text_field(doc.get("url"), "url", required=True) or ""
    profile = r.text_field(doc.get("profile"), "profile")
    expect = doc.get("expect_status")
    if expect is not None and (
        isinstance(expect, bool) or not isinstance(expect, int) or not 100 <= expect <= 599
    ):
        raise r.fail(
            "bad-field",
            "expect_status",
            f"the field 'expect_status' must be an HTTP status such as 201, not {expect!r}.",
        )
    description = r.text_field(doc.get("description"), "description") or ""
    params = tuple(Param(n, v, e) for n, v, e in _pairs(r, doc.get("params"), "params"))
    headers = tuple(Header(n, v, e) for n, v, e in _pairs(r, doc.get("headers"), "headers"))
    body = _parse_body(r, doc.get("body"))
    return SavedRequest(
        name=name,
        method=method,
        url=url,
        params=params,
        headers=headers,
        body=body,
        profile=None if profile is None else profile.strip(),
        expect_status=expect,
        vars=MappingProxyType(r.variables(doc.get("vars"))),
        description=description,
        path=path,
        document=MappingProxyType(doc),
        loaded=loaded,
    )


def _pairs(r: _Reader, value: Any, table: str) -> list[tuple[str, str, bool]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise r.fail(
            "bad-field",
            table,
            f"'{table}' must be a list of [[{table}]] entries with name and value.",
            line_of(r.text, None, table),
        )
    out = []
    for i, entry in enumerate(value):
        line = nth_table_line(r.text, table, i)
        if not isinstance(entry, dict):
            raise r.fail(
                "bad-field",
                table,
                f"entry {i + 1} of '{table}' must be a table with name and value.",
                line_of(r.text, None, table),
            )
        name = r.text_field(entry.get("name"), f"{table}[{i + 1}].name", required=True, line=line) or ""
        raw_value = entry.get("value", "")
        if isinstance(raw_value, int | float) and not isinstance(raw_value, bool):
            raw_value = str(raw_value)
        item = r.text_field(raw_value, f"{table}[{i + 1}].value", line=line) or ""
        out.append((name, item, r.flag(entry.get("enabled"), f"{table}[{i + 1}].enabled", line)))
    return out


def _parse_body(r: _Reader, value: Any) -> SavedBody:
    if value is None:
        return SavedBody()
    line = line_of(r.text, "body")
    if not isinstance(value, dict):
        raise r.fail(
            "bad-field", "body", "'body' must be a table with a kind.", line_of(r.text, None, "body")
        )
    kind = r.text_field(value.get("kind"), "body.kind") or "none"
    if kind not in BODY_KINDS:
        raise r.fail(
            "bad-field", "body.kind", f"unknown body kind '{kind}': use one of {', '.join(BODY_KINDS)}."
        )
    text = r.text_field(value.get("text"), "body.text") or ""
    file = r.text_field(value.get("file"), "body.file")
    if kind == "file" and not file:
        raise r.fail(
            "missing-field",
            "body.file",
            "a body of kind 'file' needs 'file', the path of the file to send.",
            line,
        )
    content_type = r.text_field(value.get("content_type"), "body.content_type")
    fields: list[BodyField] = []
    raw_fields = value.get("fields")
    if raw_fields is not None:
        if not isinstance(raw_fields, list):
            raise r.fail(
                "bad-field", "body.fields", "'body.fields' must be a list of [[body.fields]] entries.", line
            )
        for i, entry in enumerate(raw_fields):
            where = f"body.fields[{i + 1}]"
            fline = nth_table_line(r.text, "body.fields", i)
            if not isinstance(entry, dict):
                raise r.fail("bad-field", where, f"entry {i + 1} of 'body.fields' must be a table.", fline)
            fname = r.text_field(entry.get("name"), f"{where}.name", required=True, line=fline) or ""
            raw_value = entry.get("value", "")
            if isinstance(raw_value, int | float) and not isinstance(raw_value, bool):
                raw_value = str(raw_value)
            fields.append(
                BodyField(
                    name=fname,
                    value=r.text_field(raw_value, f"{where}.value", line=fline) or "",
                    file=r.text_field(entry.get("file"), f"{where}.file", line=fline),
                    enabled=r.flag(entry.get("enabled"), f"{where}.enabled", fline),
                    content_type=r.text_field(entry.get("content_type"), f"{where}.content_type", line=fline),
                )
            )
    return SavedBody(kind, text, tuple(fields), file, content_type)


def folder_from_document(
    doc: dict[str, Any], path: Path, folder_dir: Path, text: str = "", loaded: Fingerprint | None = None
) -> Folder:
    """A folder.toml (path) describing the folder folder_dir; its items are filled in by the store."""
    return Folder(path=folder_dir, **_group_settings(doc, path, text, folder_dir.name, loaded))


def collection_from_document(
    doc: dict[str, Any], root: Path, text: str = "", loaded: Fingerprint | None = None
) -> Collection:
    """A collection.toml; items and environments are filled in by the store."""
    return Collection(root=root, **_group_settings(doc, root / COLLECTION_FILE, text, root.name, loaded))


def _group_settings(
    doc: dict[str, Any], path: Path, text: str, default_name: str, loaded: Fingerprint | None
) -> dict[str, Any]:
    """What collection.toml and folder.toml have in common: name, default profile, vars, order, description."""
    doc = migrate(doc, path, text)
    r = _Reader(doc, path, text)
    name = (r.text_field(doc.get("name"), "name") or "").strip() or default_name
    profile = r.text_field(doc.get("profile"), "profile")
    return {
        "name": name,
        "profile": None if profile is None else profile.strip(),
        "vars": MappingProxyType(r.variables(doc.get("vars"))),
        "order": r.order(),
        "description": r.text_field(doc.get("description"), "description") or "",
        "document": MappingProxyType(doc),
        "loaded": loaded,
    }


def environment_from_document(
    doc: dict[str, Any], path: Path, text: str = "", loaded: Fingerprint | None = None
) -> Environment:
    doc = migrate(doc, path, text)
    r = _Reader(doc, path, text)
    stem = path.name[: -len(SUFFIX)] if path.name.endswith(SUFFIX) else path.stem
    name = (r.text_field(doc.get("name"), "name") or "").strip() or stem
    return Environment(
        name=name,
        vars=MappingProxyType(r.variables(doc.get("vars"))),
        path=path,
        document=MappingProxyType(doc),
        loaded=loaded,
    )
